package sessionsfiber_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	sessions "github.com/gosessions/sessions/core"
	sessionsfiber "github.com/gosessions/sessions/fiberv3"
)

// The benchmarks drive the app's handler in process, without the network,
// as fiber's own benchmarks do: each request is parsed from its bytes into
// a reused fasthttp.RequestCtx, which is what fasthttp's server does per
// request. They compare to the core's httptest benchmarks
// (core/bench_test.go) and to the other adapters'.

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

// benchRig is a cookie store on the rig's server with a command counter,
// and one request context reused for every request, as a fasthttp server
// connection does.
type benchRig struct {
	*rig
	count *countHook
	fctx  fasthttp.RequestCtx
	br    *bufio.Reader
	src   bytes.Reader
}

func newBenchRig(b *testing.B) *benchRig {
	r := &benchRig{rig: newRig(b, sessions.CookieOptions{}), count: &countHook{}}
	r.client.AddHook(r.count)
	r.br = bufio.NewReader(&r.src)
	return r
}

// app returns a fiber app, behind the sessions middleware when withSessions,
// whose one route runs fn and answers 204.
func (r *benchRig) app(withSessions bool, fn func(s *sessions.Session)) fasthttp.RequestHandler {
	app := fiber.New()
	if withSessions {
		app.Use(sessionsfiber.New(r.st))
	}
	app.Get("/", func(c fiber.Ctx) error {
		fn(sessionsfiber.FromContext(c))
		return c.SendStatus(fiber.StatusNoContent)
	})
	return app.Handler()
}

// request returns the raw request that sends cookie (may be "").
func request(cookie string) []byte {
	raw := "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n"
	if cookie != "" {
		raw += "Cookie: " + sessions.DefaultCookieName + "=" + cookie + "\r\n"
	}
	return []byte(raw + "\r\n")
}

// do serves the raw request and returns the session cookie's value the
// response sets, if any.
func (r *benchRig) do(b *testing.B, h fasthttp.RequestHandler, raw []byte) string {
	r.fctx.Request.Reset()
	r.fctx.Response.Reset()
	r.fctx.ResetUserValues()
	r.src.Reset(raw)
	r.br.Reset(&r.src)
	if err := r.fctx.Request.Header.Read(r.br); err != nil {
		b.Fatal(err)
	}
	h(&r.fctx)
	if code := r.fctx.Response.StatusCode(); code != fiber.StatusNoContent {
		b.Fatalf("status %d", code)
	}
	if line := r.fctx.Response.Header.PeekCookie(sessions.DefaultCookieName); line != nil {
		ck, err := http.ParseSetCookie(string(line))
		if err != nil {
			b.Fatal(err)
		}
		return ck.Value
	}
	return ""
}

// seed makes a live session holding a few values and returns the request
// that carries its cookie.
func (r *benchRig) seed(b *testing.B) []byte {
	v := r.do(b, r.app(true, seedSession), request(""))
	if v == "" {
		b.Fatal("no cookie")
	}
	return request(v)
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

// BenchmarkBaseline: the request of BenchmarkUntouched through fiber
// without the middleware: fiber's own cost, to subtract from the rest.
func BenchmarkBaseline(b *testing.B) {
	rig := newBenchRig(b)
	req, h := rig.seed(b), rig.app(false, func(*sessions.Session) {})
	rig.run(b, func() { rig.do(b, h, req) })
}

// BenchmarkUntouched: a request that never uses its session.
func BenchmarkUntouched(b *testing.B) {
	rig := newBenchRig(b)
	req, h := rig.seed(b), rig.app(true, func(*sessions.Session) {})
	rig.run(b, func() { rig.do(b, h, req) })
}

// BenchmarkReadOnly: a request that reads one value (load and rolling
// refresh in one script).
func BenchmarkReadOnly(b *testing.B) {
	rig := newBenchRig(b)
	req, h := rig.seed(b), rig.app(true, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	rig.run(b, func() { rig.do(b, h, req) })
}

// BenchmarkModify: read a value, write another (one load, one save).
func BenchmarkModify(b *testing.B) {
	rig := newBenchRig(b)
	req, h := rig.seed(b), rig.app(true, func(s *sessions.Session) {
		cart, _, err := sessions.Get[[]string](s, "cart")
		if err != nil {
			b.Fatal(err)
		}
		s.Set("cart", append(cart[:1], "milk"))
	})
	rig.run(b, func() { rig.do(b, h, req) })
}
