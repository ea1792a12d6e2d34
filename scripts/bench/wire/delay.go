package wire

import (
	"sync"
	"sync/atomic"
	"time"
)

// chunk is one read of a server's bytes, waiting to be written to its
// client; end marks the server's side closed (the client's is closed when
// it comes due, after every chunk before it).
type chunk struct {
	buf  *[]byte
	n    int
	read time.Time
	c    *conn
	end  bool
}

// queueLen is how many chunks a delaying proxy holds at most before its
// readers wait (a full queue stands for a full TCP window).
const queueLen = 4096

// delayer holds every chunk of a proxy's replies for d. It is one queue
// and one goroutine for every connection of the proxy: every chunk is
// held the same d, so chunks come due in the order they were read, and
// the queue is first in, first out. The goroutine sleeps until the
// oldest chunk is due, writes it, and takes the next, which is due
// already or soon: a chunk never waits for the ones before it beyond its
// own due time, so replies to a pipeline (or to many connections) arrive
// d after they left, not d after one another.
type delayer struct {
	d     time.Duration
	q     chan chunk
	quit  chan struct{}
	done  chan struct{}
	now   func() time.Time
	sleep func(time.Duration) // may return early: the caller sleeps again
	holds histogram
}

func newDelayer(d time.Duration, now func() time.Time, sleep func(time.Duration)) *delayer {
	dl := &delayer{d: d, q: make(chan chunk, queueLen), quit: make(chan struct{}), done: make(chan struct{}), now: now, sleep: sleep}
	go dl.run()
	return dl
}

// push queues a chunk (a reader's goroutine).
func (dl *delayer) push(c chunk) { dl.q <- c }

// stop ends the goroutine; chunks still queued are dropped (the proxy has
// closed their connections).
func (dl *delayer) stop() {
	close(dl.quit)
	<-dl.done
}

func (dl *delayer) run() {
	defer close(dl.done)
	preciseThread()
	for {
		select {
		case c := <-dl.q:
			dl.until(c.read.Add(dl.d))
			if c.end {
				c.c.p.untrack(c.c.client)
				continue
			}
			dl.holds.add(dl.now().Sub(c.read))
			c.c.deliver((*c.buf)[:c.n])
			putBuf(c.buf)
		case <-dl.quit:
			return
		}
	}
}

// until sleeps until due (at once when it has passed).
func (dl *delayer) until(due time.Time) {
	for {
		w := due.Sub(dl.now())
		if w <= 0 {
			return
		}
		dl.sleep(w)
	}
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

func getBuf() *[]byte  { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) { bufs.Put(b) }

// holdBucket is the width of a bucket of Holds; holdBuckets of them reach
// 100 ms, past which a hold counts in the last.
const (
	holdBucket  = 10 * time.Microsecond
	holdBuckets = 10000
)

// histogram counts holds by holdBucket; written by one goroutine, read
// by any.
type histogram struct {
	b [holdBuckets]atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	i := min(max(int(d/holdBucket), 0), holdBuckets-1)
	h.b[i].Add(1)
}

func (h *histogram) snapshot() Holds {
	var s Holds
	s.Buckets = make([]int64, holdBuckets)
	for i := range h.b {
		s.Buckets[i] = h.b[i].Load()
	}
	return s
}

// Holds is how long a delaying proxy held its chunks: counts by buckets
// of 10 µs (the last one: 100 ms or more).
type Holds struct {
	Buckets []int64 `json:",omitempty"`
}

// Count is how many chunks were held.
func (h Holds) Count() int64 {
	var n int64
	for _, x := range h.Buckets {
		n += x
	}
	return n
}

// Add returns the holds of both.
func (h Holds) Add(o Holds) Holds {
	if len(h.Buckets) == 0 {
		return Holds{Buckets: append([]int64(nil), o.Buckets...)}
	}
	s := Holds{Buckets: append([]int64(nil), h.Buckets...)}
	for i, x := range o.Buckets {
		s.Buckets[i] += x
	}
	return s
}

// Sub returns the holds of h since o (an earlier snapshot of the same
// proxy).
func (h Holds) Sub(o Holds) Holds {
	s := Holds{Buckets: append([]int64(nil), h.Buckets...)}
	for i, x := range o.Buckets {
		if i < len(s.Buckets) {
			s.Buckets[i] -= x
		}
	}
	return s
}

// Quantile is the q-quantile of the holds (the upper edge of its bucket);
// 0 without any.
func (h Holds) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := int64(q * float64(n))
	if rank >= n {
		rank = n - 1
	}
	var seen int64
	for i, x := range h.Buckets {
		seen += x
		if seen > rank {
			return time.Duration(i+1) * holdBucket
		}
	}
	return time.Duration(len(h.Buckets)) * holdBucket
}
