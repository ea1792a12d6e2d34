package sessions_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// req starts a request carrying cookies; returns the carrier, the session and the recorder.
func req(st *sessions.Store, cookies []*http.Cookie) (sessions.Carrier, *sessions.Session, *httptest.ResponseRecorder) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	return c, st.Load(context.Background(), c), w
}

func readUser(t *testing.T, st *sessions.Store, cookies []*http.Cookie) (string, bool) {
	t.Helper()
	var v string
	var ok bool
	exchange(t, st, cookies, func(s *sessions.Session) {
		var err error
		v, ok, err = sessions.Get[string](s, "user")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
	})
	return v, ok
}

// R1a: A renews (login/privilege change), B logs out with the same cookie,
// then A's save fails on a value (ErrTooLarge): undoTake renames the taken
// record back under the OLD id, which B destroyed.
func TestDestroyDuringRenewUndoResurrectsOldID(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 200}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()

	cA, sA, _ := req(st, old)
	if err := sA.Renew(); err != nil {
		t.Fatal(err)
	}
	exchange(t, st, old, func(s *sessions.Session) {
		if err := s.Destroy(); err != nil {
			t.Fatal(err)
		}
	})
	if _, ok := readUser(t, st, old); ok {
		t.Fatal("precondition: destroyed session readable")
	}
	if err := sA.Set("big", strings.Repeat("x", 190)); err != nil {
		t.Fatal(err)
	}
	// The renewed write finds the session gone: it starts a new one with
	// its own changes (or fails on their size).
	if err := st.Save(context.Background(), cA, sA); err != nil && !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("Save: %v, want nil or ErrTooLarge", err)
	}
	if v, ok := readUser(t, st, old); ok {
		t.Errorf("a session destroyed by logout is readable again with its old (destroyed) id: user=%q", v)
	}
}

// R1b: same, but A's handler panics and the integration calls Discard.
func TestDestroyDuringRenewDiscardResurrectsOldID(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	_, sA, _ := req(st, old)
	if err := sA.Renew(); err != nil {
		t.Fatal(err)
	}
	exchange(t, st, old, func(s *sessions.Session) { s.Destroy() })
	st.Discard(sA)
	if v, ok := readUser(t, st, old); ok {
		t.Errorf("destroyed session readable again with its old id after Discard: user=%q", v)
	}
}

// R1c: A renews, B logs out, A's Save succeeds: the destroyed session's data
// lives on under A's new id.
func TestDestroyDuringRenewSaveRevivesData(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	cA, sA, wA := req(st, old)
	sA.Renew()
	exchange(t, st, old, func(s *sessions.Session) { s.Destroy() })
	if err := st.Save(context.Background(), cA, sA); err != nil {
		t.Fatal(err)
	}
	if v, ok := readUser(t, st, wA.Result().Cookies()); ok {
		t.Errorf("logout (Destroy) that returned nil is undone by a concurrent Renew: new id reads user=%q", v)
	}
}

// R2: the reference net/http Middleware never calls Discard: a handler that
// renews and then panics loses the session (the take is never undone).
func TestMiddlewarePanicAfterRenewLogsOut(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := exchange(t, st, nil, func(s *sessions.Session) { s.Set("user", "ada") }).Result().Cookies()
	h := sessions.Middleware(st, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.FromContext(r.Context()).Renew(); err != nil {
			t.Fatal(err)
		}
		panic("boom")
	}))
	recovering := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				w.WriteHeader(500)
			}
		}()
		h.ServeHTTP(w, r)
	})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range old {
		r.AddCookie(c)
	}
	recovering.ServeHTTP(httptest.NewRecorder(), r)
	if _, ok := readUser(t, st, old); !ok {
		t.Errorf("a handler that called Renew and then panicked logged the user out: Middleware never calls Store.Discard")
	}
}

// R3: Incr loses precision when |delta| >= 2^53 but the result is below 2^53.
func TestIncrPrecisionBigDelta(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	var got int64
	exchange(t, st, nil, func(s *sessions.Session) {
		if _, err := s.Incr("n", -10); err != nil {
			t.Fatal(err)
		}
		var err error
		got, err = s.Incr("n", 9007199254740993)
		if err != nil {
			t.Fatal(err)
		}
	})
	if want := int64(9007199254740983); got != want {
		t.Errorf("Incr(-10) then Incr(2^53+1) = %d, want %d", got, want)
	}
}
