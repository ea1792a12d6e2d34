package sessions_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// serve runs h behind Middleware and returns the response.
func serve(t *testing.T, st *sessions.Store, opts sessions.MiddlewareOptions, h http.HandlerFunc, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	srv := httptest.NewServer(sessions.Middleware(st, opts)(h))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestMiddlewareCommitsBeforeFirstByte(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	cases := map[string]http.HandlerFunc{
		"Write": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			w.Write([]byte("body"))
		},
		"WriteHeader": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			w.WriteHeader(http.StatusCreated)
		},
		"ResponseController flush": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Error("ResponseController cannot flush through the wrapper:", err)
			}
			w.Write([]byte("streamed"))
		},
		"Flusher": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			w.(http.Flusher).Flush()
		},
		"no write at all": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
		},
		"early hints first": func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Write([]byte("after hints"))
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			resp := serve(t, st, sessions.MiddlewareOptions{}, h)
			if len(resp.Cookies()) != 1 {
				t.Fatalf("status %d, %d cookies; want the session cookie", resp.StatusCode, len(resp.Cookies()))
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Vary") != "Cookie" {
				t.Errorf("Cache-Control %q Vary %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Vary"))
			}
		})
	}
}

func TestMiddlewareUntouched(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		io.WriteString(w, "ok")
	})
	if len(resp.Cookies()) != 0 || resp.Header.Get("Cache-Control") != "" {
		t.Fatal("an untouched session set a cookie or cache headers")
	}
	if got := resp.Header.Values("Vary"); len(got) != 1 {
		t.Fatalf("Vary = %v", got)
	}
}

func TestMiddlewareErrorHandler(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 64}, sessions.CookieOptions{DisableSecure: true})
	var got error
	opts := sessions.MiddlewareOptions{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	}}
	resp := serve(t, st, opts, func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		for i := range 4 {
			if err := s.Set(strings.Repeat("k", i+1), strings.Repeat("v", 20)); err != nil {
				t.Error(err)
			}
		}
		io.WriteString(w, "the handler's answer")
	})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || strings.Contains(string(body), "handler") {
		t.Fatalf("status %d body %q: the error handler did not replace the response", resp.StatusCode, body)
	}
	if !errors.Is(got, sessions.ErrTooLarge) {
		t.Fatalf("error handler got %v, want ErrTooLarge", got)
	}
	resp = serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		for i := range 4 {
			s.Set(strings.Repeat("k", i+1), strings.Repeat("v", 20))
		}
	})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(resp.Cookies()) != 0 {
		t.Fatalf("default handler: status %d, %d cookies; want 413 and none", resp.StatusCode, len(resp.Cookies()))
	}
}

// TestMiddlewareVaryOnRead: a response that read the session (without
// setting a token) depends on the cookie, and says so to caches.
func TestMiddlewareVaryOnRead(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	read := func(w http.ResponseWriter, r *http.Request) {
		sessions.Get[string](sessions.FromContext(r.Context()), "user")
		io.WriteString(w, "page")
	}
	for _, withSession := range []bool{false, true} {
		var cookies []*http.Cookie
		if withSession {
			cookies = exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
		}
		resp := serve(t, st, sessions.MiddlewareOptions{}, read, cookies...)
		if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Cookie" {
			t.Errorf("session %v: Vary = %q, want Cookie", withSession, got)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("session %v: a read set a cookie", withSession)
		}
	}
}
