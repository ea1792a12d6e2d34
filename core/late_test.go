package sessions_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// These tests hold what happens after the response's first byte, when the
// session can no longer give the client a token (issue 6, items 5 and 6).

// A request that carries a session cookie gets Vary: Cookie even when the
// handler reads the session only after the first byte (a template that
// renders while it writes), so a shared cache never serves that page to
// another user.
func TestVaryWhenReadAfterFirstByte(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<p>Hello, ")
		user, _, _ := sessions.Get[string](sessions.FromContext(r.Context()), "user")
		io.WriteString(w, user)
	}, cookies...)
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "<p>Hello, ada" {
		t.Fatalf("body %q", body)
	}
	if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Cookie" {
		t.Errorf("Vary = %q, want Cookie", v)
	}
	// Without a cookie, and untouched: no Vary.
	resp = serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "static")
	})
	if v := resp.Header.Values("Vary"); len(v) != 0 {
		t.Errorf("untouched request without a cookie: Vary = %q, want none", v)
	}
}

// A read after the first byte whose load fails returns the error (the
// error handler can no longer answer; the handler must not show a
// logged-in user as a guest).
func TestLateReadFailureReturnsError(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t)
	st, _ := newCookieStore(t, sessions.StoreOptions{KeyPrefix: prefix}, sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	dead, err := sessions.NewClient("redis://127.0.0.1:1/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	down, err := sessions.NewCookieStore(dead, sessions.StoreOptions{KeyPrefix: prefix, Timeout: 200e6},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}, DisableSecure: true})
	if err != nil {
		t.Fatal(err)
	}
	var getErr error
	serve(t, down, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "streamed first")
		_, _, getErr = sessions.Get[string](sessions.FromContext(r.Context()), "user")
	}, cookies...)
	if !errors.Is(getErr, sessions.ErrUnavailable) {
		t.Errorf("Get after the first byte with the store down = %v, want ErrUnavailable", getErr)
	}
}

// After the first byte, a change that would start a session fails with
// ErrCommitted instead of being dropped without a word.
func TestLateChangeOnNewSession(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	var setErr, flashErr, incrErr, renewErr error
	resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "streamed first")
		s := sessions.FromContext(r.Context())
		setErr = s.Set("cart", "tea")
		flashErr = s.AddFlash("saved")
		_, incrErr = s.Incr("n", 1)
		renewErr = s.Renew()
	})
	for name, err := range map[string]error{"Set": setErr, "AddFlash": flashErr, "Incr": incrErr, "Renew": renewErr} {
		if !errors.Is(err, sessions.ErrCommitted) {
			t.Errorf("%s after the first byte on a new session = %v, want ErrCommitted", name, err)
		}
	}
	if len(resp.Cookies()) != 0 || len(recordKeys(t, st, client)) != 0 {
		t.Errorf("cookies %d, records %d: want none", len(resp.Cookies()), len(recordKeys(t, st, client)))
	}
}

// syncBuffer is a goroutine-safe bytes.Buffer for a test logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A late save that fails (here: the session was destroyed by another
// request while this one streamed) is reported to StoreOptions.Logger,
// without the token or the value.
func TestLateSaveFailureLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	st, _ := newCookieStore(t, sessions.StoreOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "streamed first")
		s := sessions.FromContext(r.Context())
		if err := s.Set("cart", "secret-value"); err != nil {
			t.Errorf("Set on a live session after the first byte: %v", err)
		}
		// Another request logs the user out meanwhile.
		exchange(t, st, cookies, func(s *sessions.Session) { s.Destroy() })
	}, cookies...)
	out := logs.String()
	if !strings.Contains(out, "not saved") || !strings.Contains(out, "committed") {
		t.Errorf("log = %q, want the failed late save reported", out)
	}
	if strings.Contains(out, "secret-value") || strings.Contains(out, cookies[0].Value) {
		t.Errorf("the log line holds the value or the cookie: %q", out)
	}
}

// Pop keeps a value it could not decode (issue 6, item 7).
func TestPopKeepsUndecodable(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", "text") }).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) {
		if _, _, err := sessions.Pop[int](s, "n"); !errors.Is(err, sessions.ErrDecode) {
			t.Fatalf("Pop[int] of a string = %v, want ErrDecode", err)
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if v, ok, _ := sessions.Get[string](s, "n"); !ok || v != "text" {
			t.Errorf("after a failed Pop: n = %q, %v; want it kept", v, ok)
		}
	})
}

// Get decodes strictly by default: a stored struct with a field the target
// lacks (a renamed field) is ErrDecode, never a value with zero fields
// (issue 6, item 12). JSONCodec{AllowUnknownFields: true} opts out.
func TestGetStrictJSON(t *testing.T) {
	t.Parallel()
	type v1 struct{ Name, Email string }
	type v2 struct{ Name, Mail string }
	for _, tc := range []struct {
		codec sessions.Codec
		want  bool // decode succeeds
	}{{nil, false}, {sessions.JSONCodec{AllowUnknownFields: true}, true}} {
		st, _ := newCookieStore(t, sessions.StoreOptions{Codec: tc.codec}, sessions.CookieOptions{})
		cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("u", v1{"ada", "ada@example.com"}) }).Result().Cookies()
		exchange(t, st, cookies, func(s *sessions.Session) {
			got, ok, err := sessions.Get[v2](s, "u")
			if !ok || (err == nil) != tc.want || (err != nil && !errors.Is(err, sessions.ErrDecode)) {
				t.Errorf("codec %v: Get into a renamed struct = %+v, %v, %v", tc.codec, got, ok, err)
			}
			if _, _, err := sessions.Get[v1](s, "u"); err != nil {
				t.Errorf("codec %v: Get into the stored type: %v", tc.codec, err)
			}
			if n, _, err := sessions.Get[string](s, "u"); err == nil {
				t.Errorf("codec %v: a struct read as a string: %q", tc.codec, n)
			}
		})
	}
}

// RememberMe chooses the cookie's lifetime per session and keeps it across
// requests and Renew (issue 6, item 15).
func TestRememberMe(t *testing.T) {
	t.Parallel()
	for _, browser := range []bool{false, true} {
		st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{BrowserSession: browser})
		for _, remember := range []bool{true, false} {
			resp := exchange(t, st, nil, func(s *sessions.Session) {
				s.RememberMe(remember)
				s.Set("user", "ada")
			}).Result()
			ck := sessionCookie(t, resp)
			if (ck.MaxAge > 0) != remember {
				t.Errorf("BrowserSession %v, RememberMe(%v): Max-Age %d", browser, remember, ck.MaxAge)
			}
			// Renew on a later request keeps the choice.
			resp = exchange(t, st, []*http.Cookie{ck}, func(s *sessions.Session) { s.Renew() }).Result()
			ck2 := sessionCookie(t, resp)
			if ck2.Value == ck.Value || (ck2.MaxAge > 0) != remember {
				t.Errorf("BrowserSession %v, RememberMe(%v), then Renew: Max-Age %d", browser, remember, ck2.MaxAge)
			}
			// Changing the choice on a live session reissues the cookie.
			resp = exchange(t, st, []*http.Cookie{ck2}, func(s *sessions.Session) { s.RememberMe(!remember) }).Result()
			if ck3 := sessionCookie(t, resp); (ck3.MaxAge > 0) == remember {
				t.Errorf("BrowserSession %v: RememberMe(%v) on a live session: Max-Age %d", browser, !remember, ck3.MaxAge)
			}
		}
	}
}
