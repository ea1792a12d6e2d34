package wire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose sleeps are counted and pass at once.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
}

// recorder is a client connection that keeps what is written to it.
type recorder struct {
	net.Conn // nil: only Write and Close are called
	mu       sync.Mutex
	got      []byte
	writes   chan struct{}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.got = append(r.got, b...)
	r.mu.Unlock()
	r.writes <- struct{}{}
	return len(b), nil
}

func (r *recorder) Close() error { return nil }

// TestDelayerHoldsPipelinedChunksOnce counts the delayer's sleeps: chunks
// read at the same time (the replies to one pipeline) are all written
// after one wait of the delay, in order, not one delay after another.
func TestDelayerHoldsPipelinedChunksOnce(t *testing.T) {
	t.Parallel()
	const delay, n = 250 * time.Microsecond, 10
	clock := &fakeClock{t: time.Unix(1000, 0)}
	dl := newDelayer(delay, clock.now, clock.sleep)
	defer dl.stop()
	client := &recorder{writes: make(chan struct{}, n)}
	c := &conn{p: &Proxy{open: map[net.Conn]struct{}{}}, client: client}
	read := clock.now()
	var want []byte
	for i := range n {
		b := getBuf()
		k := copy(*b, fmt.Sprintf("+reply %d\r\n", i))
		want = append(want, (*b)[:k]...)
		dl.push(chunk{buf: b, n: k, read: read, c: c})
	}
	for range n {
		<-client.writes
	}
	clock.mu.Lock()
	sleeps := append([]time.Duration(nil), clock.sleeps...)
	clock.mu.Unlock()
	if len(sleeps) != 1 || sleeps[0] != delay {
		t.Errorf("sleeps %v for %d chunks read together, want one of %v", sleeps, n, delay)
	}
	if !bytes.Equal(client.got, want) {
		t.Errorf("written %q, want %q", client.got, want)
	}
	if h := dl.holds.snapshot(); h.Count() != n || h.Quantile(1) != delay+holdBucket {
		t.Errorf("holds: %d, the longest %v; want %d, in the bucket of %v", h.Count(), h.Quantile(1), n, delay)
	}
}

// TestDelayerWaitsOnlyForItsOwnDueTime: a chunk read later than another
// waits only for the rest of its own delay, whatever the one before it
// waited.
func TestDelayerWaitsOnlyForItsOwnDueTime(t *testing.T) {
	t.Parallel()
	const delay = time.Millisecond
	clock := &fakeClock{t: time.Unix(1000, 0)}
	dl := newDelayer(delay, clock.now, clock.sleep)
	defer dl.stop()
	client := &recorder{writes: make(chan struct{}, 3)}
	c := &conn{p: &Proxy{open: map[net.Conn]struct{}{}}, client: client}
	t0 := clock.now()
	for i, at := range []time.Duration{0, 300 * time.Microsecond, 700 * time.Microsecond} {
		b := getBuf()
		k := copy(*b, fmt.Sprintf("+%d\r\n", i))
		dl.push(chunk{buf: b, n: k, read: t0.Add(at), c: c})
	}
	for range 3 {
		<-client.writes
	}
	clock.mu.Lock()
	defer clock.mu.Unlock()
	var total time.Duration
	for _, s := range clock.sleeps {
		total += s
	}
	// Due at 1.0, 1.3 and 1.7 ms: the last written at 1.7 ms, not 3 ms.
	if want := 1700 * time.Microsecond; total != want {
		t.Errorf("slept %v in all (%v), want %v", total, clock.sleeps, want)
	}
}

// chattyRedis answers each command with replies-many separate writes
// ("+N\r\n", numbered across the connection), a short pause between
// them so that they leave as separate chunks.
func chattyRedis(t *testing.T, replies int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var p Parser
				buf := make([]byte, 4096)
				seq := 0
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					for range p.Feed(buf[:n]) * replies {
						if _, err := fmt.Fprintf(c, "+%d\r\n", seq); err != nil {
							return
						}
						seq++
						time.Sleep(100 * time.Microsecond)
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestDelayProxyKeepsOrderAndPipelining sends a pipeline of commands on
// several connections at once through a delaying proxy; each connection
// gets every reply, in order, no sooner than the delay after it sent,
// and the whole pipeline in about one delay, not one per reply (bound
// generously: half of what one delay per reply would take).
func TestDelayProxyKeepsOrderAndPipelining(t *testing.T) {
	t.Parallel()
	const delay, conns, cmds, replies = 40 * time.Millisecond, 4, 5, 4
	p, err := ListenOptions(chattyRedis(t, replies), Options{Delay: delay})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			t0 := time.Now()
			if _, err := io.WriteString(c, strings.Repeat(get, cmds)); err != nil {
				t.Error(err)
				return
			}
			r := bufio.NewReader(c)
			for want := range cmds * replies {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Errorf("connection %d, reply %d: %v", i, want, err)
					return
				}
				if want == 0 {
					if d := time.Since(t0); d < delay {
						t.Errorf("connection %d: the first reply after %v, before the delay of %v", i, d, delay)
					}
				}
				if line != fmt.Sprintf("+%d\r\n", want) {
					t.Errorf("connection %d: reply %q, want +%d (order lost)", i, line, want)
					return
				}
			}
			if d, serial := time.Since(t0), cmds*replies*delay; d > serial/2 {
				t.Errorf("connection %d: %d replies in %v: held one after another (%v), not together", i, cmds*replies, d, serial)
			}
		}()
	}
	wg.Wait()
	if got := p.Counts(); got.RoundTrips != conns || got.Commands != conns*cmds {
		t.Errorf("counts %+v, want %d round trips and %d commands", got, conns, conns*cmds)
	}
	if h := p.Holds(); h.Count() == 0 || h.Quantile(0) < delay {
		t.Errorf("holds: %d chunks, the shortest under %v: %v", h.Count(), delay, h.Quantile(0))
	}
}

// TestDelayProxyClosesAfterTheLastChunk: when the server closes, the
// client still gets every chunk sent before, then EOF.
func TestDelayProxyClosesAfterTheLastChunk(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("+bye\r\n"))
		c.Close()
	}()
	p, err := ListenOptions(ln.Addr().String(), Options{Delay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "+bye\r\n" {
		t.Errorf("read %q, %v; want +bye and EOF", b, err)
	}
}

// BenchmarkDelayProxyRoundTrip is one command and its reply through a
// proxy delaying 250 µs: ns/op is what a round trip costs under the
// delay, on this machine.
func BenchmarkDelayProxyRoundTrip(b *testing.B) {
	for _, delay := range []time.Duration{0, 250 * time.Microsecond} {
		b.Run(delay.String(), func(b *testing.B) {
			p, err := ListenOptions(fakeRedisB(b), Options{Delay: delay})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			get := []byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
			for b.Loop() {
				if _, err := c.Write(get); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadString('\n'); err != nil {
					b.Fatal(err)
				}
			}
			if h := p.Holds(); h.Count() > 0 {
				b.ReportMetric(float64(h.Quantile(0.5).Microseconds()), "hold-p50-µs")
				b.ReportMetric(float64(h.Quantile(0.99).Microseconds()), "hold-p99-µs")
			}
		})
	}
}
