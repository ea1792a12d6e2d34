package sessionsecho_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echov5"
)

// countHook counts the commands a client sends (a script run counts as
// one, or two on a NOSCRIPT fallback).
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

// benchRig is a cookie store on the rig's server with a command counter.
type benchRig struct {
	st    *sessions.Store
	count *countHook
}

func newBenchRig(b *testing.B) *benchRig {
	client := testClient(b)
	hook := &countHook{}
	client.AddHook(hook)
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: "benchechov5:" + rand.Text()[:12] + ":"},
		sessions.CookieOptions{Secrets: [][]byte{testSecret}})
	if err != nil {
		b.Fatal(err)
	}
	return &benchRig{st: st, count: hook}
}

// app returns echo with the sessions middleware (unless bare) around one
// GET / route that runs fn and answers 204.
func (r *benchRig) app(bare bool, fn func(s *sessions.Session)) *echo.Echo {
	e := echo.New()
	if !bare {
		e.Use(sessionsecho.Middleware(r.st, sessionsecho.Options{}))
	}
	e.GET("/", func(c *echo.Context) error {
		fn(sessionsecho.FromContext(c))
		return c.NoContent(http.StatusNoContent)
	})
	return e
}

// do serves one request with cookie (may be nil) and returns the cookie
// the response sets, if any.
func do(b *testing.B, e *echo.Echo, cookie *http.Cookie) *http.Cookie {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
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
	c := do(b, r.app(false, func(s *sessions.Session) {
		s.Set("user", "ada")
		s.Set("count", 1)
		s.Set("cart", []string{"tea", "milk"})
	}), nil)
	if c == nil {
		b.Fatal("no cookie")
	}
	return c
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

// BenchmarkBaseline: the request and route of BenchmarkUntouched on echo v5
// without the middleware: what echo and the harness cost, to subtract
// from the figures below.
func BenchmarkBaseline(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.app(true, func(*sessions.Session) {})
	rig.run(b, func() { do(b, e, c) })
}

// BenchmarkUntouched: a request that never uses its session.
func BenchmarkUntouched(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.app(false, func(*sessions.Session) {})
	rig.run(b, func() { do(b, e, c) })
}

// BenchmarkReadOnly: a request that reads one value (load and rolling
// refresh in one script).
func BenchmarkReadOnly(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.app(false, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	rig.run(b, func() { do(b, e, c) })
}

// BenchmarkModify: read a value, write another (one load, one save).
func BenchmarkModify(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.app(false, func(s *sessions.Session) {
		cart, _, err := sessions.Get[[]string](s, "cart")
		if err != nil {
			b.Fatal(err)
		}
		s.Set("cart", append(cart[:1], "milk"))
	})
	rig.run(b, func() { do(b, e, c) })
}
