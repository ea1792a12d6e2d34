package sessions_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// cachedStore returns a cookie store with a local cache on its own client
// (an app instance of its own), and a command counter of that client.
func cachedStore(t *testing.T, prefix string, so sessions.StoreOptions) (*sessions.Store, *countHook) {
	t.Helper()
	client := testClient(t)
	cc := new(countHook)
	client.AddHook(cc)
	so.KeyPrefix = prefix
	if so.LocalCache == 0 {
		so.LocalCache = 1000
	}
	st, err := sessions.NewCookieStore(client, so, sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	waitFor(t, "the cache to go live", func() bool { return st.CacheStats().Live })
	return st, cc
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// readCount reads "n" in one request with cookies; -1 for none.
func readCount(t *testing.T, st *sessions.Store, cookies []*http.Cookie) int {
	t.Helper()
	n := -1
	exchange(t, st, cookies, func(s *sessions.Session) {
		v, ok, err := sessions.Get[int](s, "n")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if ok {
			n = v
		}
	})
	return n
}

func TestLocalCacheReadsWithoutRoundTrip(t *testing.T) {
	st, cc := cachedStore(t, testPrefix(t), sessions.StoreOptions{})
	w := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) })
	cookies := w.Result().Cookies()
	// The write's own invalidation comes back from the server later and
	// would drop the entry the next read caches: let it arrive first.
	waitFor(t, "the write's invalidation", func() bool { return st.CacheStats().Invalidations > 0 })
	if got := readCount(t, st, cookies); got != 1 { // a miss: it loads and caches
		t.Fatalf("first read: %d, want 1", got)
	}
	before, hits := cc.n.Load(), st.CacheStats().Hits
	for range 3 {
		if got := readCount(t, st, cookies); got != 1 {
			t.Fatalf("cached read: %d, want 1", got)
		}
	}
	if n := cc.n.Load() - before; n != 0 {
		t.Errorf("three cached reads sent %d commands, want 0", n)
	}
	if h := st.CacheStats().Hits - hits; h != 3 {
		t.Errorf("hits: %d, want 3", h)
	}
}

func TestLocalCacheOwnWritesAtOnce(t *testing.T) {
	st, _ := cachedStore(t, testPrefix(t), sessions.StoreOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()
	readCount(t, st, cookies)
	for want := 2; want <= 4; want++ {
		exchange(t, st, cookies, func(s *sessions.Session) { s.Incr("n", 1) })
		// No wait: the process's own write dropped the entry.
		if got := readCount(t, st, cookies); got != want {
			t.Fatalf("read after own increment: %d, want %d", got, want)
		}
	}
	exchange(t, st, cookies, func(s *sessions.Session) { s.Destroy() })
	if got := readCount(t, st, cookies); got != -1 {
		t.Fatalf("read after own logout: %d, want a fresh session", got)
	}
}

// TestLocalCacheTwoInstances runs two app instances (stores on clients of
// their own) on one Redict: a change, a renew, a logout and a destroy-all
// on one are seen by the other once the server's invalidation arrives.
func TestLocalCacheTwoInstances(t *testing.T) {
	prefix := testPrefix(t)
	a, _ := cachedStore(t, prefix, sessions.StoreOptions{})
	b, _ := cachedStore(t, prefix, sessions.StoreOptions{})
	var cookies []*http.Cookie
	login := func() {
		cookies = exchange(t, a, nil, func(s *sessions.Session) {
			s.Renew()
			s.BindUser("ann", "")
			s.Set("n", 1)
		}).Result().Cookies()
		readCount(t, a, cookies)
		if got := readCount(t, b, cookies); got != 1 {
			t.Fatalf("b reads %d, want 1", got)
		}
		readCount(t, b, cookies) // a hit now
	}
	seen := func(what string, st *sessions.Store, want int) {
		d := waitFor(t, what, func() bool { return readCount(t, st, cookies) == want })
		t.Logf("%s: seen by the other instance after %v", what, d)
	}

	login()
	exchange(t, a, cookies, func(s *sessions.Session) { s.Incr("n", 1) })
	seen("a change", b, 2)

	// A renew on b: the old id is dead on a too.
	renewed := exchange(t, b, cookies, func(s *sessions.Session) { s.Renew() }).Result().Cookies()
	seen("a renew", a, -1)
	if got := readCount(t, a, renewed); got != 2 {
		t.Fatalf("a reads the renewed session as %d, want 2", got)
	}

	login()
	exchange(t, b, cookies, func(s *sessions.Session) { s.Destroy() })
	seen("a logout", a, -1)

	login()
	// Two of ann's: this login's, and the first one (renewed by b).
	if n, err := b.DestroyUserSessions(context.Background(), "ann", nil); err != nil || n != 2 {
		t.Fatalf("DestroyUserSessions: %d, %v; want 2", n, err)
	}
	seen("a destroy-all", a, -1)
	if s := b.CacheStats(); s.Invalidations == 0 || s.Hits == 0 {
		t.Errorf("b's stats %+v: want hits and invalidations", s)
	}
}

// stallProxy forwards TCP to a server, and can stop forwarding in both
// directions without closing anything: a silent network.
type stallProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	stalled bool
	cond    *sync.Cond
}

func newStallProxy(t *testing.T, upstream string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln}
	p.cond = sync.NewCond(&p.mu)
	t.Cleanup(func() { ln.Close(); p.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go p.pump(c, u)
			go p.pump(u, c)
		}
	}()
	return p
}

func (p *stallProxy) pump(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		for p.stalled {
			p.cond.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (p *stallProxy) set(stalled bool) {
	p.mu.Lock()
	p.stalled = stalled
	p.mu.Unlock()
	p.cond.Broadcast()
}

// TestLocalCacheStopsWhenCut stalls the network between the app and
// Redict, silently: within LocalCacheLag the cache stops serving, so a
// change made meanwhile by another instance is never served stale (the
// read fails as the store is out of reach); once the network is back, the
// change is read.
func TestLocalCacheStopsWhenCut(t *testing.T) {
	if !strings.HasPrefix(os.Getenv("REDICT_URL"), "redis://") {
		t.Skip("a single node's network is stalled here; REDICT_URL is not one")
	}
	direct := testClient(t).(*redis.Client)
	p := newStallProxy(t, direct.Options().Addr)
	client := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), DB: direct.Options().DB,
		ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	const lag = 100 * time.Millisecond
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{
		KeyPrefix: testPrefix(t), LocalCache: 100, LocalCacheLag: lag, Timeout: 200 * time.Millisecond,
	}, sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	waitFor(t, "the cache to go live", func() bool { return st.CacheStats().Live })
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()
	readCount(t, st, cookies)
	if got := readCount(t, st, cookies); got != 1 || st.CacheStats().Hits == 0 {
		t.Fatalf("cached read: %d, hits %d", got, st.CacheStats().Hits)
	}

	p.set(true)
	start := time.Now()
	d := waitFor(t, "the cache to stop serving", func() bool { return !st.CacheStats().Live })
	t.Logf("stalled network: the cache stopped serving after %v (LocalCacheLag %v)", d, lag)
	if d > 3*lag {
		t.Errorf("the cache served %v into a stall, LocalCacheLag is %v", time.Since(start), lag)
	}
	// Another instance changes the session; this one cannot hear of it.
	keys, err := direct.Keys(context.Background(), st.Options().KeyPrefix+"{*}").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	if err := direct.HSet(context.Background(), keys[0], "d:n", "7").Err(); err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	s := st.Load(context.Background(), sessions.HTTPCarrier(nil, r))
	if n, _, err := sessions.Get[int](s, "n"); !errors.Is(err, sessions.ErrUnavailable) {
		t.Fatalf("read during the stall: %d, %v; want ErrUnavailable", n, err)
	}

	p.set(false)
	waitFor(t, "the cache to serve again", func() bool { return st.CacheStats().Live })
	waitFor(t, "the change to be read", func() bool { return readCount(t, st, cookies) == 7 })
}

func TestLocalCacheRefused(t *testing.T) {
	client := testClient(t)
	for _, so := range []sessions.StoreOptions{
		{LocalCache: -1},
		{LocalCache: 10, LocalCacheLag: time.Millisecond},
	} {
		if _, err := sessions.NewCookieStore(client, so, sessions.CookieOptions{Secrets: [][]byte{testSecret()}}); !errors.Is(err, sessions.ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", so, err)
		}
	}
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cluster.Close()
	if _, err := sessions.NewCookieStore(cluster, sessions.StoreOptions{LocalCache: 10}, sessions.CookieOptions{Secrets: [][]byte{testSecret()}}); !errors.Is(err, sessions.ErrInvalidOptions) {
		t.Errorf("Cluster client: %v, want ErrInvalidOptions", err)
	}
}

// TestLocalCacheTwoStoresOneProcess: two stores of one process on the same
// prefix read each other's writes at once, without waiting for the
// server's invalidation.
func TestLocalCacheTwoStoresOneProcess(t *testing.T) {
	prefix := testPrefix(t)
	a, _ := cachedStore(t, prefix, sessions.StoreOptions{})
	b, _ := cachedStore(t, prefix, sessions.StoreOptions{})
	cookies := exchange(t, a, nil, func(s *sessions.Session) { s.Set("n", 0) }).Result().Cookies()
	stale := 0
	for i := 1; i <= 100; i++ {
		readCount(t, b, cookies)
		exchange(t, a, cookies, func(s *sessions.Session) { s.Set("n", i) })
		if readCount(t, b, cookies) != i {
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("%d of 100 reads on one store missed a write just made on the other", stale)
	}
}

// TestLocalCacheFlush: a FLUSHDB anywhere on the server drops every entry
// (its invalidation names no key), and the stream stays up.
func TestLocalCacheFlush(t *testing.T) {
	st, _ := cachedStore(t, testPrefix(t), sessions.StoreOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()
	waitFor(t, "the write's invalidation", func() bool { return st.CacheStats().Invalidations > 0 })
	readCount(t, st, cookies)
	if readCount(t, st, cookies); st.CacheStats().Entries != 1 {
		t.Fatalf("stats %+v: want the record cached", st.CacheStats())
	}
	flushes := st.CacheStats().Flushes
	other := redis.NewClient(&redis.Options{Addr: testClient(t).(*redis.Client).Options().Addr, DB: 15})
	defer other.Close()
	if err := other.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the flush", func() bool { return st.CacheStats().Flushes > flushes })
	if s := st.CacheStats(); s.Entries != 0 || !s.Live {
		t.Errorf("after FLUSHDB: %+v; want no entries, still live", s)
	}
	if got := readCount(t, st, cookies); got != 1 {
		t.Errorf("read after the flush: %d, want 1 (another database was flushed)", got)
	}
}

func TestStoreCloseTwice(t *testing.T) {
	st, _ := cachedStore(t, testPrefix(t), sessions.StoreOptions{})
	for i := range 2 {
		if err := st.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	plain, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	if err := plain.Close(); err != nil {
		t.Errorf("Close without a cache: %v", err)
	}
}
