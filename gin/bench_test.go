package sessionsgin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	sessions "github.com/gosessions/sessions/core"
	sessionsgin "github.com/gosessions/sessions/gin"
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

func newBenchRig(b *testing.B) *benchRig {
	st, client := rigStore(b)
	hook := &countHook{}
	client.AddHook(hook)
	return &benchRig{st: st, count: hook}
}

// engine returns a gin engine (no logger, no recovery) serving GET / with
// a handler that runs fn and answers 204; with sessions, behind the
// store's Middleware.
func (r *benchRig) engine(withSessions bool, fn func(s *sessions.Session)) *gin.Engine {
	e := gin.New()
	if withSessions {
		e.Use(sessionsgin.Middleware(r.st, sessionsgin.Options{}))
	}
	e.GET("/", func(c *gin.Context) {
		fn(sessionsgin.FromContext(c))
		c.Status(http.StatusNoContent)
	})
	return e
}

// request serves one request with cookie (may be nil) and returns the
// cookie the response sets, if any.
func request(b *testing.B, h http.Handler, cookie *http.Cookie) *http.Cookie {
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
	c := request(b, r.engine(true, func(s *sessions.Session) {
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

// BenchmarkBaseline: the same request and handler through gin without the
// middleware: what gin and the harness cost, to subtract from the rest.
func BenchmarkBaseline(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.engine(false, func(*sessions.Session) {})
	rig.run(b, func() { request(b, e, c) })
}

// BenchmarkUntouched: a request that never uses its session.
func BenchmarkUntouched(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.engine(true, func(*sessions.Session) {})
	rig.run(b, func() { request(b, e, c) })
}

// BenchmarkReadOnly: a request that reads one value (load and rolling
// refresh in one script).
func BenchmarkReadOnly(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.engine(true, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	rig.run(b, func() { request(b, e, c) })
}

// BenchmarkModify: read a value, write another (one load, one save).
func BenchmarkModify(b *testing.B) {
	rig := newBenchRig(b)
	c, e := rig.seed(b), rig.engine(true, func(s *sessions.Session) {
		cart, _, err := sessions.Get[[]string](s, "cart")
		if err != nil {
			b.Fatal(err)
		}
		s.Set("cart", append(cart[:1], "milk"))
	})
	rig.run(b, func() { request(b, e, c) })
}
