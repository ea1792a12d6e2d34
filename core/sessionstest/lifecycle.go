package sessionstest

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// wantFresh fails t unless c's token reads as a new, empty session that
// lacks key k.
func wantFresh(t testing.TB, c *client, what, k string) {
	t.Helper()
	r := c.do(http.MethodGet, "/isnew", nil)
	wantStatus(t, what+": GET /isnew", r, http.StatusOK)
	if !r.bool("isnew") {
		t.Errorf("%s: the session is not new", what)
	}
	if v, ok := c.get(k); ok {
		t.Errorf("%s: %s = %q, want absent", what, k, v)
	}
}

// checkRenew: Renew changes the token and kills the old one at once; the
// new token carries the data; the session stays the one key it was (a
// Renew replaces the secret in place), and the old token can neither
// change nor end it.
func checkRenew(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	old, oldKey := c.current(), f.onlyKey(t)
	r := c.do(http.MethodPost, "/renew", url.Values{"user": {"ada"}})
	wantStatus(t, "POST /renew", r, http.StatusOK)
	if !r.bool("ok") {
		t.Errorf("POST /renew: Renew failed: body %v", r.body)
	}
	if !r.set || r.token == old {
		t.Fatalf("POST /renew: token set %v, changed %v; want a new token", r.set, r.token != old)
	}
	if key := f.onlyKey(t); key != oldKey {
		t.Error("after renew: the session moved to another key")
	}
	wantFresh(t, f.clientWith(t, old), "the token from before renew", "a")
	// The old token's writes and logout start or end a session of its
	// own, never the renewed one.
	stale := f.clientWith(t, old)
	stale.set("a", "stale")
	if r := stale.do(http.MethodPost, "/destroy", nil); r.status != http.StatusOK {
		t.Errorf("POST /destroy with the old token: status %d", r.status)
	}
	f.clientWith(t, old).do(http.MethodPost, "/destroy", nil)
	c.wantValue("a", "1")
	c.wantValue("user", "ada")
	f.wantKeys(t, 1, "after using both tokens")
}

// checkDestroy: Destroy removes the record and clears the token; the old
// token reads as a new session.
func checkDestroy(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	old, oldKey := c.current(), f.onlyKey(t)
	r := c.do(http.MethodPost, "/destroy", nil)
	wantStatus(t, "POST /destroy", r, http.StatusOK)
	if !r.bool("ok") {
		t.Errorf("POST /destroy: Destroy failed: body %v", r.body)
	}
	if !r.cleared || r.set {
		t.Errorf("POST /destroy: token cleared %v, set %v; want cleared", r.cleared, r.set)
	}
	if f.raw.exists(t, oldKey) {
		t.Error("after destroy: the record still exists")
	}
	f.wantKeys(t, 0, "after destroy")
	wantFresh(t, f.clientWith(t, old), "the destroyed token", "a")
	wantFresh(t, c, "the client after destroy", "a")
	f.wantKeys(t, 0, "after reading with the destroyed token")
}

// checkDestroyThenSet: a set after Destroy in the same request starts a
// new session with a new token.
func checkDestroyThenSet(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	old := c.current()
	r := c.do(http.MethodPost, "/destroy-then-set", url.Values{"k": {"b"}, "v": {"2"}})
	wantStatus(t, "POST /destroy-then-set", r, http.StatusOK)
	if !r.set || r.token == old {
		t.Fatalf("POST /destroy-then-set: token set %v, changed %v; want a new token", r.set, r.token != old)
	}
	c.wantValue("b", "2")
	c.wantAbsent("a")
	f.wantKeys(t, 1, "after destroy-then-set")
	wantFresh(t, f.clientWith(t, old), "the destroyed token", "a")
}

// checkFlash: a flash message added on one request is read on the next
// and gone on the third.
func checkFlash(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	for _, m := range []string{"saved", "welcome"} {
		r := c.do(http.MethodPost, "/flash-add", url.Values{"m": {m}})
		wantStatus(t, "POST /flash-add", r, http.StatusOK)
		if !r.bool("ok") {
			t.Fatalf("POST /flash-add: AddFlash failed: body %v", r.body)
		}
	}
	if c.current() == "" {
		t.Fatal("POST /flash-add: no token issued")
	}
	r := c.do(http.MethodGet, "/flashes", nil)
	if got, want := r.strs("flashes"), []string{"saved", "welcome"}; !slices.Equal(got, want) {
		t.Errorf("first GET /flashes = %q, want %q", got, want)
	}
	r = c.do(http.MethodGet, "/flashes", nil)
	if got := r.strs("flashes"); len(got) != 0 {
		t.Errorf("second GET /flashes = %q, want none", got)
	}
	f.wantKeys(t, 1, "after flashes")
}

// checkClear: Clear removes every key but keeps the session and its token.
func checkClear(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("a", "1")
	c.set("b", "2")
	r := c.do(http.MethodPost, "/clear", nil)
	wantStatus(t, "POST /clear", r, http.StatusOK)
	wantNoToken(t, "POST /clear", r)
	if keys := c.do(http.MethodGet, "/keys", nil).strs("keys"); len(keys) != 0 {
		t.Errorf("after clear: keys %q, want none", keys)
	}
	if c.do(http.MethodGet, "/isnew", nil).bool("isnew") {
		t.Error("after clear: the session reads as new")
	}
	f.wantKeys(t, 1, "after clear")
	r = c.set("c", "3")
	wantNoToken(t, "POST /set after clear", r)
	c.wantValue("c", "3")
	c.wantAbsent("a")
}
