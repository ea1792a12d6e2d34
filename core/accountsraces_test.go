package sessions_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// tryExchange is exchange without failing on Save.
func tryExchange(st *sessions.Store, cookies []*http.Cookie, fn func(s *sessions.Session)) ([]*http.Cookie, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	fn(s)
	err := st.Save(context.Background(), c, s)
	return w.Result().Cookies(), err
}

// R1: a Renew whose new record is refused (too large) restores the old
// record, but the save's pipeline already removed the old entry from the
// index: a live bound session that ListSessions and DestroyUserSessions
// never see.
func TestFailedRenewDropsIndexEntry(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSize: 300}, sessions.CookieOptions{})
	ada := login(t, st, nil, "ada", "laptop")
	_, err := tryExchange(st, ada, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		s.Set("a", strings.Repeat("x", 200))
		s.Set("b", strings.Repeat("y", 200))
	})
	if !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("Save = %v, want ErrTooLarge", err)
	}
	// The old session is live (the undo restored it) ...
	exchange(t, st, ada, func(s *sessions.Session) {
		if u, _ := s.BoundUser(); u != "ada" {
			t.Fatalf("old session after the failed renew: user %q", u)
		}
	})
	// ... but not listed, and not ended by log-out-everywhere.
	if l := list(t, st, "ada"); len(l) != 1 {
		t.Errorf("ada's live session after a failed Renew: listed %d, want 1", len(l))
	}
	n, _ := st.DestroyUserSessions(context.Background(), "ada", nil)
	exchange(t, st, ada, func(s *sessions.Session) {
		if u, _ := s.BoundUser(); u != "" {
			t.Errorf("after DestroyUserSessions (ended %d): the session still logged in as %q", n, u)
		}
	})
}

var _ = time.Second

// boundTo returns the user the session of cookies is bound to ("" for
// none or no session).
func boundTo(t *testing.T, st *sessions.Store, cookies []*http.Cookie) string {
	t.Helper()
	var u string
	exchange(t, st, cookies, func(s *sessions.Session) { u, _ = s.BoundUser() })
	return u
}

// R2: with MaxSessionsPerUser 2, a user with ONE live session (the other
// entry is a session that logged out without being read first, or idled
// out) loses that live session at the next login.
func TestCapCountsDeadEntries(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSessionsPerUser: 2}, sessions.CookieOptions{})
	laptop := login(t, st, nil, "ada", "laptop")
	time.Sleep(5 * time.Millisecond)
	phone := login(t, st, nil, "ada", "phone")
	// The phone logs out: a plain Destroy (the logout handler does not read the session).
	exchange(t, st, phone, func(s *sessions.Session) { s.Destroy() })
	if l := list(t, st, "ada"); len(l) != 1 {
		t.Fatalf("after the phone's logout: %d live", len(l))
	}
	time.Sleep(5 * time.Millisecond)
	login(t, st, nil, "ada", "tablet")
	if u := boundTo(t, st, laptop); u != "ada" {
		t.Errorf("cap 2, one live session (laptop) + a new login: the laptop was ended (bound to %q)", u)
	}
}

// R3: a login whose save fails (here: too large) still ran the index
// script, which evicted the oldest entry past the cap from the index
// without ending its session: a live session missing from the index.
func TestCapEvictsOnFailedSave(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{MaxSessionsPerUser: 1, MaxSize: 300}, sessions.CookieOptions{})
	laptop := login(t, st, nil, "ada", "laptop")
	_, err := tryExchange(st, nil, func(s *sessions.Session) {
		s.Set("a", strings.Repeat("x", 200))
		s.Set("b", strings.Repeat("y", 200))
		s.BindUser("ada", "phone")
	})
	if !errors.Is(err, sessions.ErrTooLarge) {
		t.Fatalf("Save = %v", err)
	}
	if u := boundTo(t, st, laptop); u != "ada" {
		t.Fatalf("laptop: %q", u)
	}
	if l := list(t, st, "ada"); len(l) != 1 {
		t.Errorf("ada's live laptop session after a failed login elsewhere: listed %d, want 1", len(l))
	}
}

// R8: Renew then Destroy in one request (a login that fails after Renew,
// a logout that renews first) leaves the old record at its take key; any
// request with the old token restores it after 2*Timeout.
func TestRenewThenDestroyComesBack(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{Timeout: 50 * time.Millisecond}, sessions.CookieOptions{})
	ada := login(t, st, nil, "ada", "laptop")
	exchange(t, st, ada, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		if err := s.Destroy(); err != nil {
			t.Fatal(err)
		}
	})
	time.Sleep(150 * time.Millisecond)
	if u := boundTo(t, st, ada); u != "" {
		t.Errorf("Renew+Destroy, then the old token: the destroyed session is back, bound to %q", u)
	}
}

// R5: a login whose handler takes longer than 2*Timeout between Renew and
// Save while another request of the same browser (old cookie) reads the
// session: the read restores the take, the login's Save succeeds in a
// fresh session without the pre-login data, and the old id lives on.
func TestSlowRenewOldIDLives(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{Timeout: 50 * time.Millisecond}, sessions.CookieOptions{})
	anon := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "tea") }).Result().Cookies()
	var newCookies []*http.Cookie
	var saveErr error
	newCookies, saveErr = tryExchange(st, anon, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		s.Set("user", "ada")
		s.BindUser("ada", "laptop")
		time.Sleep(120 * time.Millisecond) // a slow login (password hash, OAuth call)
		// meanwhile another tab's request with the old cookie:
		exchange(t, st, anon, func(o *sessions.Session) { sessions.Get[string](o, "cart") })
	})
	if saveErr != nil || len(newCookies) == 0 {
		t.Fatalf("login: %v, %d cookies", saveErr, len(newCookies))
	}
	exchange(t, st, anon, func(o *sessions.Session) {
		if v, ok, _ := sessions.Get[string](o, "cart"); ok {
			t.Errorf("after a successful Renew the old id still reads (cart=%q): it came back", v)
		}
	})
	exchange(t, st, newCookies, func(o *sessions.Session) {
		if _, ok, _ := sessions.Get[string](o, "cart"); !ok {
			t.Errorf("the renewed session lost the pre-login data")
		}
	})
}

// R6: Optimistic mode: a Save that failed with ErrConflict keeps its
// changes pending with the revision check dropped; the next Save of the
// request (here: the middleware's Commit after the app answered 409)
// writes them, overwriting the concurrent change.
func TestConflictThenOverwrite(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{Optimistic: true}, sessions.CookieOptions{})
	ck := exchange(t, st, nil, func(s *sessions.Session) { s.Set("cart", "a") }).Result().Cookies()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	v, _, _ := sessions.Get[string](s, "cart")
	// another tab changes the cart
	exchange(t, st, ck, func(o *sessions.Session) { o.Set("cart", "a+b") })
	s.Set("cart", v+"+c")
	if err := st.Save(context.Background(), c, s); !errors.Is(err, sessions.ErrConflict) {
		t.Fatalf("first Save = %v, want ErrConflict", err)
	}
	err := st.Commit(context.Background(), c, s) // the 409 response goes out
	exchange(t, st, ck, func(o *sessions.Session) {
		if got, _, _ := sessions.Get[string](o, "cart"); got != "a+b" {
			t.Errorf("after ErrConflict, Commit (err %v) wrote cart=%q over the other tab's %q", err, got, "a+b")
		}
	})
}

// R7: Optimistic mode: after Renew, the request keeps the revision of the
// record it read, not the new record's: its next save conflicts with
// itself, every time (no concurrent writer).
func TestSpuriousConflictAfterRenew(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{Optimistic: true}, sessions.CookieOptions{})
	ck := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", "1") }).Result().Cookies()
	exchange(t, st, ck, func(s *sessions.Session) { s.Set("a", "2") }) // rev 2
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	sessions.Get[string](s, "a")
	s.Renew()
	s.Set("user", "ada")
	if err := st.Commit(context.Background(), c, s); err != nil {
		t.Fatal(err)
	}
	s.Set("late", "x") // after the header: saved by Finish
	var events []sessions.EventKind
	_ = events
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Errorf("late save after Renew, no concurrent writer: %v", err)
	}
}

// R11: "change password": renew this session, end the others. Renew
// first leaves the session pending, so except is ignored: the current
// session is ended too and the user is logged out.
func TestRenewThenDestroyOthers(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	laptop := login(t, st, nil, "ada", "laptop")
	login(t, st, nil, "ada", "phone")
	var n int
	after := exchange(t, st, laptop, func(s *sessions.Session) {
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		var err error
		if n, err = st.DestroyUserSessions(context.Background(), "ada", s); err != nil {
			t.Fatal(err)
		}
	}).Result().Cookies()
	if u := boundTo(t, st, after); n != 1 || u != "ada" {
		t.Errorf("Renew then DestroyUserSessions(except this): ended %d (want 1), this session now bound to %q (want ada)", n, u)
	}
}

// R12: a shared computer: bob logs in on ada's session (Renew, Set user,
// BindUser as the README shows): the binding moves, ada's data goes with it.
func TestSharedComputerKeepsData(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ada := exchange(t, st, nil, func(s *sessions.Session) {
		s.Renew()
		s.Set("user", "ada")
		s.Set("email", "ada@example.com")
		s.BindUser("ada", "desk")
	}).Result().Cookies()
	bob := exchange(t, st, ada, func(s *sessions.Session) {
		s.Renew()
		s.Set("user", "bob")
		s.BindUser("bob", "desk")
	}).Result().Cookies()
	exchange(t, st, bob, func(s *sessions.Session) {
		if v, ok, _ := sessions.Get[string](s, "email"); ok {
			t.Errorf("bob's session holds ada's email %q", v)
		}
	})
}

// R8 with the default Timeout (2s): the old token revives 4s later.
func TestRenewThenDestroyDefaultTimeout(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ada := login(t, st, nil, "ada", "laptop")
	exchange(t, st, ada, func(s *sessions.Session) { s.Renew(); s.Destroy() })
	time.Sleep(4100 * time.Millisecond)
	if u := boundTo(t, st, ada); u != "" {
		t.Errorf("default Timeout: Renew+Destroy, old token 4.1s later: session back, bound to %q", u)
	}
	if l := list(t, st, "ada"); len(l) != 0 {
		t.Errorf("and listed again: %d", len(l))
	}
}
