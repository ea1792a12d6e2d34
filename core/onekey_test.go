package sessions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// Issue 17: three writes leave one key, not one per write (the retry
// journal lives inside the record), and a logout leaves none, at once.
func TestOneKeyPerSession(t *testing.T) {
	t.Parallel()
	st, client := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ctx := context.Background()
	prefix := st.Options().KeyPrefix
	count := func() int {
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range keys {
			if len(k) < len(prefix)+3 || k[len(prefix):len(prefix)+3] != "u:{" {
				n++
			}
		}
		return n
	}
	jar := exchange(t, st, nil, func(s *sessions.Session) { s.Incr("n", 1) }).Result().Cookies()
	exchange(t, st, jar, func(s *sessions.Session) { s.Incr("n", 1) })
	exchange(t, st, jar, func(s *sessions.Session) { s.Incr("n", 1) })
	if n := count(); n != 1 {
		t.Errorf("%d keys after three writes, want 1", n)
	}
	jar = login(t, st, jar, "ada", "laptop")
	if n := count(); n != 1 {
		t.Errorf("%d keys after a login, want 1", n)
	}
	exchange(t, st, jar, func(s *sessions.Session) { s.Destroy() })
	if n := count(); n != 0 {
		t.Errorf("%d keys right after logout, want 0", n)
	}
}

// Issue 17: a stale credential (a request that loaded the session, then
// another tab renewed it) can neither change the renewed session, nor end
// it, nor drop it from its user's index.
func TestStaleCredentialAfterRenew(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	old := login(t, st, nil, "ada", "laptop")
	exchange(t, st, old, func(s *sessions.Session) { s.Set("cart", "tea") })

	// The stale request loads the session with the old credential ...
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range old {
		r.AddCookie(c)
	}
	c := sessions.HTTPCarrier(httptest.NewRecorder(), r)
	stale := st.Load(context.Background(), c)
	if u, err := stale.BoundUser(); u != "ada" || err != nil {
		t.Fatalf("stale request's load: %q, %v", u, err)
	}
	// ... another tab renews it ...
	renewed := exchange(t, st, old, func(s *sessions.Session) { s.Renew() }).Result().Cookies()
	// ... and the stale request writes, then logs out.
	stale.Set("cart", "stale")
	if err := st.Save(context.Background(), c, stale); err != nil {
		t.Fatal(err)
	}
	exchange(t, st, old, func(s *sessions.Session) { s.Destroy() })

	exchange(t, st, renewed, func(s *sessions.Session) {
		cart, _, _ := sessions.Get[string](s, "cart")
		u, _ := s.BoundUser()
		if cart != "tea" || u != "ada" {
			t.Errorf("the renewed session after the stale request: cart %q, user %q; want tea, ada", cart, u)
		}
	})
	if l := list(t, st, "ada"); len(l) != 1 {
		t.Fatalf("ada's sessions after the stale logout: %d listed, want 1", len(l))
	}
	if n, err := st.DestroyUserSessions(context.Background(), "ada", nil); n != 1 || err != nil {
		t.Errorf("log out everywhere after the stale logout: ended %d, %v; want the renewed session", n, err)
	}
	exchange(t, st, renewed, func(s *sessions.Session) {
		if !s.IsNew() {
			t.Error("the renewed session survived log-out-everywhere")
		}
	})
}
