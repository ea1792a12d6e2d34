package sessions_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// TestPanicKeepsWrites: a handler that Incr's, then Sets, then panics,
// behind a recovery that answers 500 through the same writer. The
// increment stays (Incr writes at once), the later Set is dropped, and
// when the Incr created the session its token goes out with the 500 (the
// session exists; without its token the client could never reach it). A
// live session keeps its token: none is sent.
func TestPanicKeepsWrites(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	h := recoverer(sessions.Middleware(st, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		s.Incr("n", 1)
		s.Set("later", "x")
		panic("handler bug")
	})))
	serve := func(cookies []*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://localhost/", nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("status %d, want the recovery's 500", w.Code)
		}
		return w
	}
	read := func(cookies []*http.Cookie) (n int64, later bool) {
		exchange(t, st, cookies, func(s *sessions.Session) {
			n, _ = s.Incr("n", 0)
			_, later, _ = sessions.Get[string](s, "later")
		})
		return n, later
	}

	cks := serve(nil).Result().Cookies()
	if len(cks) != 1 {
		t.Fatalf("new session: %d cookies with the 500, want the token of the session Incr created", len(cks))
	}
	if n, later := read(cks); n != 1 || later {
		t.Errorf("new session: n = %d, later kept %v; want 1 and dropped", n, later)
	}

	if got := serve(cks).Result().Cookies(); len(got) != 0 {
		t.Errorf("live session: %d cookies with the 500, want none (its token is unchanged)", len(got))
	}
	if n, later := read(cks); n != 2 || later {
		t.Errorf("live session: n = %d, later kept %v; want 2 and dropped", n, later)
	}
}

// recoverer answers a panic of next with a 500, as a framework's
// recovery middleware does.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
