package sessionschi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	sessionschi "github.com/gosessions/sessions/chi"
	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/core/sessionstest"
)

// TestConformance holds the chi adapter to the conformance kit, in both
// transports.
func TestConformance(t *testing.T) {
	sessionstest.Run(t, sessionstest.Harness{Serve: serve})
}

// serve serves the kit's routes on a chi router behind Middleware.
func serve(t testing.TB, st *sessions.Store, routes []sessionstest.Route) string {
	r := chi.NewRouter()
	r.Use(sessionschi.Middleware(st, sessionschi.Options{}))
	for _, rt := range routes {
		r.MethodFunc(rt.Method, rt.Path, func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			status, body := rt.Handle(sessionschi.FromContext(r.Context()), r.Form)
			if err, ok := body.(error); ok && sessions.IsSessionError(err) {
				sessions.WriteError(w, err) // a net/http handler answers its own errors
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
		})
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// appRouter returns a router with sessions on /app only: /app/set (k=v),
// /app/get (the value of k) and /app/panic (sets k, renews when asked,
// then panics); and /static/* without them, which records whether its
// handler saw a session.
func appRouter(st *sessions.Store, staticSaw *bool) chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		*staticSaw = sessionschi.FromContext(r.Context()) != nil
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "body{}")
	})
	r.Route("/app", func(r chi.Router) {
		r.Use(sessionschi.Middleware(st, sessionschi.Options{}))
		r.Post("/set", func(w http.ResponseWriter, r *http.Request) {
			sessionschi.FromContext(r.Context()).Set(r.URL.Query().Get("k"), r.URL.Query().Get("v"))
			w.WriteHeader(http.StatusNoContent)
		})
		r.Get("/get", func(w http.ResponseWriter, r *http.Request) {
			v, _, err := sessions.Get[string](sessionschi.FromContext(r.Context()), r.URL.Query().Get("k"))
			if err != nil {
				http.Error(w, "store", http.StatusInternalServerError)
				return
			}
			fmt.Fprint(w, v)
		})
		r.Post("/panic", func(w http.ResponseWriter, r *http.Request) {
			s := sessionschi.FromContext(r.Context())
			s.Set("k", "half-done")
			if r.URL.Query().Get("renew") != "" {
				s.Renew()
			}
			panic("handler bug")
		})
	})
	return r
}

// TestGroups: with the middleware on the /app group only, a /static
// route never gets a cookie, a Vary or a session, and costs no store
// command, even when the request carries a live session cookie; the
// /app routes work.
func TestGroups(t *testing.T) {
	g := newRig(t, rigURL(t), sessions.StoreOptions{})
	var staticSaw bool
	r := appRouter(g.st, &staticSaw)

	resp := do(r, http.MethodPost, "/app/set?k=user&v=ada")
	cookie := sessionCookie(resp)
	if resp.StatusCode != http.StatusNoContent || cookie == nil {
		t.Fatalf("POST /app/set: status %d, cookie %v; want 204 and a session cookie", resp.StatusCode, cookie != nil)
	}
	if b := body(do(r, http.MethodGet, "/app/get?k=user", cookie)); b != "ada" {
		t.Errorf("GET /app/get: %q, want ada", b)
	}

	for _, cookies := range [][]*http.Cookie{nil, {cookie}} {
		g.count.n.Store(0)
		resp := do(r, http.MethodGet, "/static/site.css", cookies...)
		what := fmt.Sprintf("GET /static/site.css with %d session cookies", len(cookies))
		if resp.StatusCode != http.StatusOK || body(resp) != "body{}" {
			t.Errorf("%s: status %d", what, resp.StatusCode)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("%s: Set-Cookie %q, want none", what, sc)
		}
		if v := resp.Header.Values("Vary"); len(v) != 0 {
			t.Errorf("%s: Vary %q, want none", what, v)
		}
		if n := g.count.n.Load(); n != 0 {
			t.Errorf("%s: %d store commands, want 0", what, n)
		}
		if staticSaw {
			t.Errorf("%s: the handler saw a session", what)
		}
	}
}

// TestPanic: a handler that panics after changing its session saves
// nothing and sends no cookie; middleware.Recoverer, registered outside
// the sessions, answers 500.
func TestPanic(t *testing.T) {
	g := newRig(t, rigURL(t), sessions.StoreOptions{})
	var staticSaw bool
	r := appRouter(g.st, &staticSaw)

	resp := do(r, http.MethodPost, "/app/panic")
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("POST /app/panic: status %d, Set-Cookie %q; want 500 and none", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	if recs := g.records(t); len(recs) != 0 {
		t.Errorf("POST /app/panic stored %d records, want 0", len(recs))
	}

	cookie := sessionCookie(do(r, http.MethodPost, "/app/set?k=k&v=before"))
	resp = do(r, http.MethodPost, "/app/panic", cookie)
	if resp.StatusCode != http.StatusInternalServerError || sessionCookie(resp) != nil {
		t.Errorf("POST /app/panic on a live session: status %d, cookie %v; want 500 and none", resp.StatusCode, sessionCookie(resp) != nil)
	}
	if b := body(do(r, http.MethodGet, "/app/get?k=k", cookie)); b != "before" {
		t.Errorf("after POST /app/panic on a live session: k = %q, want before", b)
	}
}

// TestPanicAfterRenew: a Renew the panic interrupted is undone, as the
// gin adapter does with Store.Discard: the old cookie still works.
func TestPanicAfterRenew(t *testing.T) {
	g := newRig(t, rigURL(t), sessions.StoreOptions{})
	var staticSaw bool
	r := appRouter(g.st, &staticSaw)
	cookie := sessionCookie(do(r, http.MethodPost, "/app/set?k=k&v=before"))
	resp := do(r, http.MethodPost, "/app/panic?renew=1", cookie)
	if resp.StatusCode != http.StatusInternalServerError || sessionCookie(resp) != nil {
		t.Errorf("POST /app/panic?renew=1: status %d, cookie %v; want 500 and none", resp.StatusCode, sessionCookie(resp) != nil)
	}
	if b := body(do(r, http.MethodGet, "/app/get?k=k", cookie)); b != "before" {
		t.Errorf("after POST /app/panic?renew=1: k = %q, want before (the old session, restored)", b)
	}
}

// TestErrorHandler: Options.ErrorHandler reaches the core's middleware.
func TestErrorHandler(t *testing.T) {
	m := miniredis.RunT(t)
	g := newRig(t, "redis://"+m.Addr()+"/0", sessions.StoreOptions{})
	var got error
	r := chi.NewRouter()
	r.Use(sessionschi.Middleware(g.st, sessionschi.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	}}))
	r.Post("/set", func(w http.ResponseWriter, r *http.Request) {
		sessionschi.FromContext(r.Context()).Set("k", "v")
		w.WriteHeader(http.StatusNoContent)
	})
	cookie := sessionCookie(do(r, http.MethodPost, "/set"))
	if cookie == nil {
		t.Fatal("POST /set: no session cookie")
	}
	m.Close()
	resp := do(r, http.MethodPost, "/set", cookie)
	if resp.StatusCode != http.StatusTeapot || !errors.Is(got, sessions.ErrUnavailable) {
		t.Errorf("POST /set with the store down: status %d, error %v; want 418 and ErrUnavailable", resp.StatusCode, got)
	}
}

// TestPanicKeepsWrites: a handler that Incr's, Sets, then panics under
// middleware.Recoverer: the increment stays, the later Set is dropped,
// and when the Incr created the session its cookie goes out with the 500.
func TestPanicKeepsWrites(t *testing.T) {
	g := newRig(t, rigURL(t), sessions.StoreOptions{})
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, sessionschi.Middleware(g.st, sessionschi.Options{}))
	r.Get("/panic", func(w http.ResponseWriter, r *http.Request) {
		s := sessionschi.FromContext(r.Context())
		s.Incr("n", 1)
		s.Set("later", "x")
		panic("handler bug")
	})
	r.Get("/read", func(w http.ResponseWriter, r *http.Request) {
		s := sessionschi.FromContext(r.Context())
		n, _ := s.Incr("n", 0)
		_, later, _ := sessions.Get[string](s, "later")
		fmt.Fprint(w, n, later)
	})
	resp := do(r, http.MethodGet, "/panic")
	ck := sessionCookie(resp)
	if resp.StatusCode != http.StatusInternalServerError || ck == nil {
		t.Fatalf("new session: status %d, cookie %v; want 500 with the cookie of the session Incr created", resp.StatusCode, ck != nil)
	}
	if b := body(do(r, http.MethodGet, "/read", ck)); b != "1 false" {
		t.Errorf("new session: n, later = %s; want 1 and dropped", b)
	}
	resp = do(r, http.MethodGet, "/panic", ck)
	if resp.StatusCode != http.StatusInternalServerError || sessionCookie(resp) != nil {
		t.Errorf("live session: status %d, cookie %v; want 500 and none", resp.StatusCode, sessionCookie(resp) != nil)
	}
	if b := body(do(r, http.MethodGet, "/read", ck)); b != "2 false" {
		t.Errorf("live session: n, later = %s; want 2 and dropped", b)
	}
}
