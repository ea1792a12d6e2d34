package sessionschi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	sessionschi "github.com/gosessions/sessions/chi"
	sessions "github.com/gosessions/sessions/core"
)

// router returns a chi router serving GET / with a handler that runs fn
// and answers 204; with sessions, behind the rig store's Middleware.
func (g *rig) router(withSessions bool, fn func(s *sessions.Session)) http.Handler {
	r := chi.NewRouter()
	if withSessions {
		r.Use(sessionschi.Middleware(g.st, sessionschi.Options{}))
	}
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fn(sessionschi.FromContext(r.Context()))
		w.WriteHeader(http.StatusNoContent)
	})
	return r
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
func (g *rig) seed(b *testing.B) *http.Cookie {
	c := request(b, g.router(true, func(s *sessions.Session) {
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
func (g *rig) run(b *testing.B, fn func()) {
	fn() // warm up: load the scripts
	b.ReportAllocs()
	b.ResetTimer()
	g.count.n.Store(0)
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	b.ReportMetric(float64(g.count.n.Load())/float64(n), "cmds/op")
}

func benchRig(b *testing.B) *rig { return newRig(b, rigURL(b), sessions.StoreOptions{}) }

// BenchmarkBaseline: the same request and handler through chi without the
// middleware: what chi and the harness cost, to subtract from the rest.
func BenchmarkBaseline(b *testing.B) {
	g := benchRig(b)
	c, h := g.seed(b), g.router(false, func(*sessions.Session) {})
	g.run(b, func() { request(b, h, c) })
}

// BenchmarkUntouched: a request that never uses its session.
func BenchmarkUntouched(b *testing.B) {
	g := benchRig(b)
	c, h := g.seed(b), g.router(true, func(*sessions.Session) {})
	g.run(b, func() { request(b, h, c) })
}

// BenchmarkReadOnly: a request that reads one value (load and rolling
// refresh in one script).
func BenchmarkReadOnly(b *testing.B) {
	g := benchRig(b)
	c, h := g.seed(b), g.router(true, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			b.Fatal(err)
		}
	})
	g.run(b, func() { request(b, h, c) })
}

// BenchmarkModify: read a value, write another (one load, one save).
func BenchmarkModify(b *testing.B) {
	g := benchRig(b)
	c, h := g.seed(b), g.router(true, func(s *sessions.Session) {
		cart, _, err := sessions.Get[[]string](s, "cart")
		if err != nil {
			b.Fatal(err)
		}
		s.Set("cart", append(cart[:1], "milk"))
	})
	g.run(b, func() { request(b, h, c) })
}
