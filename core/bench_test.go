package sessions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
)

// countHook counts the commands a client sends (a pipeline counts each
// command; a script run counts as one, or two on a NOSCRIPT fallback).
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*countHook)(nil)

// benchRig is a cookie store on the rig's server with a command counter.
type benchRig struct {
	st    *sessions.Store
	count *countHook
}

func newBenchRig(b *testing.B) *benchRig { return newBenchRigWith(b, sessions.StoreOptions{}) }

func newBenchRigWith(b *testing.B, so sessions.StoreOptions) *benchRig {
	st, client := newCookieStore(b, so, sessions.CookieOptions{})
	b.Cleanup(func() { st.Close() })
	hook := &countHook{}
	client.AddHook(hook)
	return &benchRig{st: st, count: hook}
}

// handler returns the store's Middleware around a handler that runs fn.
func (r *benchRig) handler(fn func(s *sessions.Session)) http.Handler {
	return sessions.Middleware(r.st, sessions.MiddlewareOptions{})(http.HandlerFunc(
		func(w http.ResponseWriter, req *http.Request) {
			fn(sessions.FromContext(req.Context()))
			w.WriteHeader(http.StatusNoContent)
		}))
}

// do serves one request with cookie (may be nil) and returns the cookie
// the response sets, if any.
func do(b *testing.B, h http.Handler, cookie *http.Cookie) *http.Cookie {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusNoContent {
		b.Fatalf("status %d", w.Code)
	}
	if cs := w.Result().Cookies(); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// seed makes a live session holding a few values and returns its cookie.
func (r *benchRig) seed(b *testing.B) *http.Cookie {
	c := do(b, r.handler(seedSession), nil)
	if c == nil {
		b.Fatal("no cookie")
	}
	return c
}

func seedSession(s *sessions.Session) {
	s.Set("user", "ada")
	s.Set("count", 1)
	s.Set("cart", []string{"tea", "milk"})
}

// run times fn over the loop and reports Redict commands per request.
func (r *benchRig) run(b *testing.B, fn func()) {
	fn() // warm up: load the scripts
	b.ReportAllocs()
	b.ResetTimer()
	r.count.n.Store(0)
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	b.ReportMetric(float64(r.count.n.Load())/float64(n), "cmds/op")
}

// BenchmarkBaseline: the same request and handler as BenchmarkUntouched
// without the middleware: what the test harness itself costs, to subtract
// from the figures below.
func BenchmarkBaseline(b *testing.B) {
	rig := newBenchRig(b)
	c := rig.seed(b)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	rig.run(b, func() { do(b, h, c) })
}

// BenchmarkUntouched: a request that never uses its session.
func BenchmarkUntouched(b *testing.B) {
	rig := newBenchRig(b)
	c, h := rig.seed(b), rig.handler(func(*sessions.Session) {})
	rig.run(b, func() { do(b, h, c) })
}

// BenchmarkReadOnly: a request that reads one value (load and rolling
// refresh in one script).
func BenchmarkReadOnly(b *testing.B) {
	rig := newBenchRig(b)
	c, h := rig.seed(b), rig.handler(func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	rig.run(b, func() { do(b, h, c) })
}

// BenchmarkReadOnlyCached is BenchmarkReadOnly with StoreOptions.LocalCache:
// the record comes from the process (0 cmds/op once cached).
func BenchmarkReadOnlyCached(b *testing.B) {
	rig := newBenchRigWith(b, sessions.StoreOptions{LocalCache: 1000})
	c, h := rig.seed(b), rig.handler(func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	// The seed's own invalidation arrives after a while: wait for it,
	// so that the run's first read caches the record for good.
	for rig.st.CacheStats().Invalidations == 0 {
		time.Sleep(time.Millisecond)
	}
	rig.run(b, func() { do(b, h, c) })
	if st := rig.st.CacheStats(); st.Hits == 0 {
		b.Fatalf("no cache hits: %+v", st)
	}
}

// BenchmarkModify: read a value, write another (one load, one save).
func BenchmarkModify(b *testing.B) {
	rig := newBenchRig(b)
	c, h := rig.seed(b), rig.handler(func(s *sessions.Session) {
		cart, _, err := sessions.Get[[]string](s, "cart")
		if err != nil {
			b.Fatal(err)
		}
		s.Set("cart", append(cart[:1], "milk"))
	})
	rig.run(b, func() { do(b, h, c) })
}

// BenchmarkIncr: an atomic increment on a session not loaded yet.
func BenchmarkIncr(b *testing.B) {
	rig := newBenchRig(b)
	c, h := rig.seed(b), rig.handler(func(s *sessions.Session) {
		if _, err := s.Incr("count", 1); err != nil {
			b.Fatal(err)
		}
	})
	rig.run(b, func() { do(b, h, c) })
}

// BenchmarkCreate: a first visit that stores values (new id, new key,
// Set-Cookie).
func BenchmarkCreate(b *testing.B) {
	rig := newBenchRig(b)
	h := rig.handler(seedSession)
	rig.run(b, func() { do(b, h, nil) })
}

// BenchmarkRenew: login on a live session (take the old record, write the
// new one, new cookie).
func BenchmarkRenew(b *testing.B) {
	rig := newBenchRig(b)
	c, h := rig.seed(b), rig.handler(func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			b.Fatal(err)
		}
		s.Set("user", "ada")
	})
	rig.run(b, func() { c = do(b, h, c) })
}

// BenchmarkDestroy: logout (delete the key, clear the cookie). The sessions
// it destroys are made outside the timer, in batches.
func BenchmarkDestroy(b *testing.B) {
	rig := newBenchRig(b)
	h := rig.handler(func(s *sessions.Session) {
		if err := s.Destroy(); err != nil {
			b.Fatal(err)
		}
	})
	var batch []*http.Cookie
	rig.run(b, func() {
		if len(batch) == 0 {
			b.StopTimer()
			n := rig.count.n.Load()
			for range 256 {
				batch = append(batch, rig.seed(b))
			}
			rig.count.n.Store(n)
			b.StartTimer()
		}
		do(b, h, batch[len(batch)-1])
		batch = batch[:len(batch)-1]
	})
}
