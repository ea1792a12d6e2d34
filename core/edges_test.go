package sessions_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// load returns a session for a request carrying cookies, with its carrier.
func load(st *sessions.Store, cookies []*http.Cookie) (*sessions.Session, sessions.Carrier, *httptest.ResponseRecorder) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	return st.Load(context.Background(), c), c, w
}

// A failed Incr on a new session keeps the values set before it.
func TestFailedIncrKeepsPendingSets(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	w := exchange(t, st, nil, func(s *sessions.Session) {
		s.Set("user", "ada")
		s.Set("n", "text")
		if _, err := s.Incr("n", 1); !errors.Is(err, sessions.ErrNotInteger) {
			t.Fatalf("Incr on text = %v", err)
		}
	})
	exchange(t, st, w.Result().Cookies(), func(s *sessions.Session) {
		if v, _, _ := sessions.Get[string](s, "user"); v != "ada" {
			t.Fatalf("user = %q: the Set before the failed Incr was lost", v)
		}
	})
}

// Incr near the ends of int64 is refused before anything is written, and
// results past 2^53 are exact.
func TestIncrRange(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", int64(1)<<53) }).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) {
		n, err := s.Incr("n", 1)
		if err != nil || n != 1<<53+1 {
			t.Fatalf("Incr past 2^53 = %d, %v; want %d", n, err, int64(1)<<53+1)
		}
		s.Set("big", strings.Repeat("b", 100))
		if _, err := s.Incr("n", math.MaxInt64-10); !errors.Is(err, sessions.ErrOutOfRange) {
			t.Fatalf("Incr to overflow = %v, want ErrOutOfRange", err)
		}
		// Nothing of the refused step reached the store; the Set stays
		// pending and is saved with the request.
		h := client.HGetAll(context.Background(), onlyKey(t, st, client)).Val()
		if _, ok := h["d:big"]; ok || h["d:n"] != strconv.FormatInt(1<<53+1, 10) {
			t.Errorf("the refused Incr changed the record: big written %v, n %s", ok, h["d:n"])
		}
	})
	exchange(t, st, cookies, func(s *sessions.Session) {
		if _, ok, _ := sessions.Get[string](s, "big"); !ok {
			t.Error("the pending Set was lost with the refused Incr")
		}
	})
}

// Flash messages added by concurrent requests are all kept, in order, and
// a read consumes only what it saw.
func TestFlashesConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.AddFlash("zero") }).Result().Cookies()
	a, ca, _ := load(st, cookies)
	b, cb, _ := load(st, cookies)
	reader, cr, _ := load(st, cookies)
	got, err := reader.Flashes()
	if err != nil || strings.Join(got, ",") != "zero" {
		t.Fatalf("Flashes = %v, %v", got, err)
	}
	a.AddFlash("one")
	b.AddFlash("two")
	for _, x := range []struct {
		s *sessions.Session
		c sessions.Carrier
	}{{a, ca}, {b, cb}, {reader, cr}} {
		if err := st.Save(context.Background(), x.c, x.s); err != nil {
			t.Fatal(err)
		}
	}
	exchange(t, st, cookies, func(s *sessions.Session) {
		if got, _ := s.Flashes(); strings.Join(got, ",") != "one,two" {
			t.Fatalf("Flashes = %v, want one,two", got)
		}
	})
}

// A session over the limit (the limit was lowered) may still shrink.
func TestShrinkOverLimit(t *testing.T) {
	t.Parallel()
	big, client := newCookieStore(t, sessions.StoreOptions{MaxSize: 1000}, sessions.CookieOptions{})
	cookies := exchange(t, big, nil, func(s *sessions.Session) {
		s.Set("a", strings.Repeat("a", 300))
		s.Set("b", "small")
	}).Result().Cookies()
	small, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: big.Options().KeyPrefix, MaxSize: 100},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	_, c, _ := load(small, cookies)
	s, _, _ := load(small, cookies)
	s.Set("c", strings.Repeat("c", 10))
	if err := small.Save(context.Background(), c, s); !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("growing an oversized session: %v, want ErrTooLarge", err)
	}
	exchange(t, small, cookies, func(s *sessions.Session) { s.Delete("a") })
	exchange(t, small, cookies, func(s *sessions.Session) {
		if keys, _ := s.Keys(); strings.Join(keys, ",") != "b" {
			t.Fatalf("keys = %v after the shrinking delete", keys)
		}
	})
}

// Renew keeps a session that holds no data alive under its new id.
func TestRenewEmptySession(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	exchange(t, st, cookies, func(s *sessions.Session) { s.Delete("a") })
	renewed := exchange(t, st, cookies, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
	}).Result().Cookies()
	if len(renewed) != 1 || renewed[0].MaxAge <= 0 || renewed[0].Value == cookies[0].Value {
		t.Fatal("Renew of an empty session did not issue a new cookie")
	}
	exchange(t, st, renewed, func(s *sessions.Session) {
		if s.IsNew() {
			t.Error("the renewed empty session is gone")
		}
	})
}

// A record of another format is refused and left alone: its TTL is not
// refreshed by the refusing reader.
func TestIncompatibleRecordUntouched(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	ctx := context.Background()
	keys := recordKeys(t, st, client)
	client.HSet(ctx, keys[0], "_m", "4.0.99999999999999")
	client.PExpire(ctx, keys[0], 5*time.Second)
	s, _, _ := load(st, cookies)
	if _, _, err := sessions.Get[int](s, "a"); !errors.Is(err, sessions.ErrIncompatibleRecord) {
		t.Fatalf("Get = %v", err)
	}
	if ttl := client.PTTL(ctx, keys[0]).Val(); ttl > 5*time.Second || ttl <= 0 {
		t.Fatalf("TTL %v: the refused record was refreshed", ttl)
	}
}

// LastSeen is the last use before this request, even after a blind write.
func TestLastSeenAfterBlindWrite(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	time.Sleep(50 * time.Millisecond)
	exchange(t, st, cookies, func(s *sessions.Session) {
		if _, err := s.Incr("n", 1); err != nil {
			t.Fatal(err)
		}
		if ago := time.Since(s.LastSeen()); ago < 40*time.Millisecond {
			t.Fatalf("LastSeen %v ago: it reports this request's own write", ago)
		}
	})
}

// A mismatched key pair is refused at construction.
func TestJWTMismatchedPairRefused(t *testing.T) {
	t.Parallel()
	client := testClient(t)
	a, b := newEd25519(t), newEd25519(t)
	_, err := sessions.NewJWTStore(client, sessions.StoreOptions{}, sessions.JWTOptions{
		Keys: []sessions.JWTKey{{Algorithm: sessions.EdDSA, PrivateKey: a, PublicKey: b.Public()}},
	})
	if !errors.Is(err, sessions.ErrInvalidOptions) {
		t.Fatalf("mismatched pair: %v", err)
	}
	_, err = sessions.NewJWTStore(client, sessions.StoreOptions{}, sessions.JWTOptions{
		Keys: []sessions.JWTKey{{Algorithm: sessions.EdDSA, PrivateKey: a, PublicKey: a.Public()}},
	})
	if err != nil {
		t.Fatalf("matching pair: %v", err)
	}
}

// Two Saves in one response, each with a new token, leave one token.
func TestJWTSecondSaveReplacesToken(t *testing.T) {
	t.Parallel()
	client := testClient(t)
	st, err := sessions.NewJWTStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t)},
		sessions.JWTOptions{Keys: []sessions.JWTKey{{Secret: testSecret()}}})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, httptest.NewRequest(http.MethodGet, "/", nil))
	s := st.Load(context.Background(), c)
	s.Set("a", 1)
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Fatal(err)
	}
	first := w.Header().Get("Session-Token")
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Fatal(err)
	}
	if vs := w.Header().Values("Session-Token"); len(vs) != 1 || vs[0] == first || vs[0] == "" {
		t.Fatalf("%d token values after two saves; want the renewed one alone", len(vs))
	}
	if n := len(w.Header().Values("Cache-Control")); n != 1 {
		t.Errorf("%d Cache-Control values", n)
	}
}

// The error handler's answer does not inherit the handler's headers.
func TestMiddlewareErrorDropsHandlerHeaders(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 64}, sessions.CookieOptions{DisableSecure: true})
	resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		for i := range 4 {
			s.Set(strconv.Itoa(i), strings.Repeat("v", 20))
		}
		w.Header().Set("Content-Length", "2")
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusFound)
		io.WriteString(w, "ok")
	})
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, body read error %v", resp.StatusCode, err)
	}
	if resp.Header.Get("Location") != "" || !strings.Contains(string(body), "too large") {
		t.Fatalf("Location %q body %q: the handler's headers leaked into the error answer", resp.Header.Get("Location"), body)
	}
}

// Changes after the first byte are saved for a live session.
func TestMiddlewareLateSet(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "streamed first")
		sessions.FromContext(r.Context()).Set("late", "yes")
	}, cookies...)
	exchange(t, st, cookies, func(s *sessions.Session) {
		if v, _, _ := sessions.Get[string](s, "late"); v != "yes" {
			t.Fatal("a Set after the first byte was lost on a live session")
		}
	})
}

// Hijack commits the session first (the upgrade carries the cookie).
func TestMiddlewareHijackCommits(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	srv := httptest.NewServer(sessions.Middleware(st, sessions.MiddlewareOptions{})(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			sessions.FromContext(r.Context()).Set("a", 1)
			conn, rw, err := w.(http.Hijacker).Hijack()
			h := w.Header() // the commit wrote the cookie here before the hijack
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nSet-Cookie: " + h.Get("Set-Cookie") + "\r\n\r\n")
			rw.Flush()
		})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 1 {
		t.Fatal("the session was not committed before the hijack")
	}

}

// A stored "-0" (valid JSON, refused by HINCRBY) fails Incr cleanly:
// nothing of the step is applied and the size stays exact.
func TestIncrOnNegativeZero(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) {
		s.Set("n", math.Copysign(0, -1))
		s.Set("keep", "x")
	}).Result().Cookies()
	key := onlyKey(t, st, client)
	before := client.HGetAll(context.Background(), key).Val()
	s, _, _ := load(st, cookies)
	s.Delete("keep")
	if _, err := s.Incr("n", 1); !errors.Is(err, sessions.ErrNotInteger) {
		t.Fatalf("Incr on -0 = %v, want ErrNotInteger", err)
	}
	after := client.HGetAll(context.Background(), key).Val()
	if after["d:keep"] != before["d:keep"] || after["_r"] != before["_r"] {
		t.Fatal("the refused Incr applied part of its step")
	}
}

// Renew after the response was committed fails and leaves the session.
func TestRenewAfterCommit(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	var renewErr, incrErr error
	serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first byte")
		s := sessions.FromContext(r.Context())
		renewErr = s.Renew()
		s.Destroy() // server-side logout still works after the commit
		_, incrErr = s.Incr("n", 1)
	}, cookies...)
	if !errors.Is(renewErr, sessions.ErrCommitted) || !errors.Is(incrErr, sessions.ErrCommitted) {
		t.Fatalf("after commit: Renew %v, Incr on a new session %v; want ErrCommitted", renewErr, incrErr)
	}
}

// A Renew whose new record is refused restores the old one.
func TestRenewFailureRestores(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 200}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", strings.Repeat("c", 100)) }).Result().Cookies()
	s, c, w := load(st, cookies)
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	s.Set("profile", strings.Repeat("p", 120))
	if err := st.Save(context.Background(), c, s); !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("Save = %v, want ErrTooLarge", err)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Error("the failed renew issued a cookie")
	}
	exchange(t, st, cookies, func(s *sessions.Session) {
		if v, _, _ := sessions.Get[string](s, "cart"); len(v) != 100 {
			t.Fatal("the failed renew lost the session")
		}
	})
}

// A write on the old id racing a Renew (login) never lands in the dead
// record nor in the renewed session: the old id is dead to it too, so it
// starts a fresh session of its own (as with any token of a dead session).
func TestWriteRacingRenew(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "tea") }).Result().Cookies()
	late, lc, lw := load(st, cookies)
	late.Set("views", 1)
	renewed := exchange(t, st, cookies, func(s *sessions.Session) {
		s.Renew()
		s.Set("user", "ada")
	}).Result().Cookies()
	if err := st.Save(context.Background(), lc, late); err != nil {
		t.Fatalf("the racing save: %v", err)
	}
	fresh := lw.Result().Cookies()
	if len(fresh) != 1 || fresh[0].Value == cookies[0].Value || fresh[0].Value == renewed[0].Value {
		t.Fatal("the racing save did not start a session of its own")
	}
	exchange(t, st, renewed, func(s *sessions.Session) {
		keys, _ := s.Keys()
		if strings.Join(keys, ",") != "cart,user" {
			t.Fatalf("renewed session keys = %v", keys)
		}
	})
	exchange(t, st, fresh, func(s *sessions.Session) {
		if keys, _ := s.Keys(); strings.Join(keys, ",") != "views" {
			t.Fatalf("the racing session holds %v, want only its own write", keys)
		}
	})
}

// The error answer keeps a session cookie an explicit Save already wrote.
func TestMiddlewareErrorKeepsSavedCookie(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 100}, sessions.CookieOptions{DisableSecure: true})
	resp := serve(t, st, sessions.MiddlewareOptions{}, func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		s.Set("a", 1)
		if err := st.Save(r.Context(), sessions.HTTPCarrier(w, r), s); err != nil {
			t.Error(err)
		}
		s.Set("b", strings.Repeat("b", 60))
		s.Set("c", strings.Repeat("c", 60)) // together past MaxSize: the commit fails
		w.WriteHeader(http.StatusOK)
	})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(resp.Cookies()) != 1 {
		t.Fatalf("status %d with %d cookies; want 413 keeping the saved session's cookie", resp.StatusCode, len(resp.Cookies()))
	}
}
