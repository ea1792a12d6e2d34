package sessionstest

import (
	"net/http"
	"net/url"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// checkOneKey: a session is one key for its whole life and nothing else
// (the per-user index aside): writes, a renewal and a login leave one key
// per session under the prefix, and Destroy, RevokeSession and
// DestroyUserSessions leave none, at once.
func checkOneKey(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	for range 3 {
		c.do(http.MethodPost, "/incr", url.Values{"k": {"n"}})
	}
	f.wantKeys(t, 1, "after three increments")
	c.do(http.MethodPost, "/destroy", nil)
	f.wantKeys(t, 0, "after destroy")

	ada1, ada2, ada3 := f.client(t), f.client(t), f.client(t)
	ada1.set("cart", "tea")
	ada1.login("ada", "laptop")
	ada2.login("ada", "phone")
	ada3.login("ada", "tablet")
	f.wantKeys(t, 3, "after three logins")
	_, h2 := ada2.listed()
	if r := ada1.do(http.MethodPost, "/revoke", url.Values{"handle": {h2}}); r.status != http.StatusOK {
		t.Fatalf("POST /revoke: status %d, body %v", r.status, r.body)
	}
	f.wantKeys(t, 2, "after revoking one of three")
	if r := ada1.do(http.MethodPost, "/logout-all", nil); r.status != http.StatusOK {
		t.Fatalf("POST /logout-all: status %d, body %v", r.status, r.body)
	}
	f.wantKeys(t, 0, "after logging out everywhere")
}

// checkAccountsByBinding: RevokeSession and DestroyUserSessions take no
// credential: they end a session only while it is bound to the user. A
// session of ada's that was bound to bob since (a shared computer) is
// bob's: ada's log-out-everywhere leaves it.
func checkAccountsByBinding(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	shared, laptop := f.client(t), f.client(t)
	shared.login("ada", "shared")
	laptop.login("ada", "laptop")
	shared.login("bob", "shared")
	if r := laptop.do(http.MethodPost, "/logout-all", nil); r.status != http.StatusOK {
		t.Fatalf("ada's POST /logout-all: status %d, body %v", r.status, r.body)
	}
	if list, _ := shared.listed(); len(list) != 1 {
		t.Errorf("bob's sessions after ada logged out everywhere: %d, want 1", len(list))
	}
	f.wantKeys(t, 1, "after ada logged out everywhere")
}
