package sessionstest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// accountRoutes are the kit's routes on the per-user session index.
func accountRoutes(st *sessions.Store) []Route {
	// current is the logged-in user, or a 401.
	current := func(s *sessions.Session) (string, int, any) {
		u, err := s.BoundUser()
		switch {
		case err != nil:
			return "", http.StatusOK, obj{"error": "store"} // the integration answers 503
		case u == "":
			return "", http.StatusUnauthorized, obj{"error": "not logged in"}
		}
		return u, 0, nil
	}
	return []Route{
		// POST /login user=U label=L: Renew, then bind the session.
		{http.MethodPost, "/login", func(s *sessions.Session, form url.Values) (int, any) {
			if err := s.Renew(); err != nil {
				return http.StatusOK, obj{"ok": false}
			}
			_ = s.Set("user", form.Get("user")) // a short string: no error but the store's, which the save reports
			if err := s.BindUser(form.Get("user"), form.Get("label")); err != nil {
				if errors.Is(err, sessions.ErrTooManySessions) {
					return sessions.ErrorStatus(err), obj{"error": "too many sessions"}
				}
				return http.StatusInternalServerError, obj{"error": "bind"}
			}
			return http.StatusOK, obj{"ok": true}
		}},
		// GET /sessions: the user's sessions.
		{http.MethodGet, "/sessions", func(s *sessions.Session, _ url.Values) (int, any) {
			u, status, body := current(s)
			if u == "" {
				return status, body
			}
			list, err := st.ListSessions(context.Background(), u, s)
			if err != nil {
				return http.StatusServiceUnavailable, obj{"error": "store"}
			}
			out := make([]any, 0, len(list))
			for _, si := range list {
				out = append(out, obj{"handle": si.Handle, "current": si.Current, "label": si.Label,
					"created": si.Created.Format(time.RFC3339Nano), "last_seen": si.LastSeen.Format(time.RFC3339Nano)})
			}
			return http.StatusOK, obj{"sessions": out, "handle": s.Handle()}
		}},
		// POST /revoke handle=H: end one of the user's sessions.
		{http.MethodPost, "/revoke", func(s *sessions.Session, form url.Values) (int, any) {
			u, status, body := current(s)
			if u == "" {
				return status, body
			}
			n, err := st.RevokeSession(context.Background(), u, form.Get("handle"), s)
			switch {
			case err != nil:
				return http.StatusServiceUnavailable, obj{"error": "store"}
			case n == 0:
				return http.StatusNotFound, obj{"error": "no such session"}
			}
			return http.StatusOK, obj{"destroyed": n}
		}},
		// POST /logout-all: end every session of the user, this one
		// last (with others=1, all but this one).
		{http.MethodPost, "/logout-all", func(s *sessions.Session, form url.Values) (int, any) {
			u, status, body := current(s)
			if u == "" {
				return status, body
			}
			n, err := st.DestroyUserSessions(context.Background(), u, s)
			if err != nil {
				return http.StatusServiceUnavailable, obj{"error": "store"}
			}
			if form.Get("others") == "" {
				if s.Destroy() != nil {
					return http.StatusServiceUnavailable, obj{"error": "store"}
				}
				n++
			}
			return http.StatusOK, obj{"destroyed": n}
		}},
	}
}

// accountChecks are the behaviours of the per-user session index.
func accountChecks() []check {
	return []check{
		{"accounts-list", checkAccountsList},
		{"accounts-logout-all", checkAccountsLogoutAll},
		{"accounts-revoke", checkAccountsRevoke},
		{"accounts-expiry", checkAccountsExpiry},
		{"accounts-no-resurrection", checkAccountsNoResurrection},
		{"accounts-login-race", checkAccountsLoginRace},
	}
}

// login logs c in as user through /login and fails t unless it works.
func (c *client) login(user, label string) {
	c.t.Helper()
	r := c.do(http.MethodPost, "/login", url.Values{"user": {user}, "label": {label}})
	if r.status != http.StatusOK || !r.bool("ok") || !r.set {
		c.t.Fatalf("POST /login %s: status %d, body %v, token set %v", user, r.status, r.body, r.set)
	}
}

// listed returns c's user's sessions (handle -> current) and c's own
// handle, failing t unless /sessions answers 200.
func (c *client) listed() (map[string]bool, string) {
	c.t.Helper()
	r := c.do(http.MethodGet, "/sessions", nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET /sessions: status %d, body %v", r.status, r.body)
	}
	out := map[string]bool{}
	arr, _ := r.body["sessions"].([]any)
	for _, v := range arr {
		m, _ := v.(map[string]any)
		h, _ := m["handle"].(string)
		cur, _ := m["current"].(bool)
		out[h] = cur
	}
	return out, r.str("handle")
}

// wantLoggedOut fails t unless c's token reads as no logged-in user.
func wantLoggedOut(t testing.TB, c *client, what string) {
	t.Helper()
	if r := c.do(http.MethodGet, "/sessions", nil); r.status != http.StatusUnauthorized {
		t.Errorf("%s: GET /sessions: status %d, want 401 (logged out)", what, r.status)
	}
}

// checkAccountsList: two sessions of one user are listed to both, each
// marking its own as current, with handles that are no token, no id and no
// store key; another user's session is not listed.
func checkAccountsList(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	a1, a2, b := f.client(t), f.client(t), f.client(t)
	a1.login("ada", "laptop")
	a2.login("ada", "phone")
	b.login("bob", "desk")
	l1, h1 := a1.listed()
	l2, h2 := a2.listed()
	if len(l1) != 2 || len(l2) != 2 || !l1[h1] || l1[h2] || !l2[h2] || l2[h1] || h1 == h2 {
		t.Fatalf("ada's two sessions: listed %v and %v (own handles %q, %q); want both, each marking itself", l1, l2, h1, h2)
	}
	if lb, _ := b.listed(); len(lb) != 1 {
		t.Errorf("bob's list holds %d sessions, want 1", len(lb))
	}
	for _, c := range []*client{a1, a2, b} {
		for h := range l1 {
			if leaks(h, c.current()) || leaks(c.current(), h) {
				t.Error("a handle holds part of a token")
			}
			for _, k := range f.raw.keys(t, f.so.KeyPrefix) {
				if leaks(k, h) {
					t.Error("a handle holds part of a store key")
				}
			}
		}
	}
	// A handle is no token.
	for h := range l1 {
		wantFresh(t, f.clientWith(t, h), "a handle sent as a token", "user")
	}
}

// checkAccountsLogoutAll: logging out everywhere from one of a user's two
// sessions ends both, and not another user's; a second time finds none.
func checkAccountsLogoutAll(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	a1, a2, b := f.client(t), f.client(t), f.client(t)
	a1.login("ada", "laptop")
	a2.login("ada", "phone")
	b.login("bob", "desk")
	old2 := a2.current()
	r := a1.do(http.MethodPost, "/logout-all", nil)
	if r.status != http.StatusOK || r.num("destroyed") != 2 || !r.cleared {
		t.Fatalf("POST /logout-all: status %d, body %v, token cleared %v; want 2 destroyed and the token cleared", r.status, r.body, r.cleared)
	}
	wantLoggedOut(t, a2, "ada's other session after logout-all")
	wantFresh(t, f.clientWith(t, old2), "ada's other token after logout-all", "user")
	if lb, _ := b.listed(); len(lb) != 1 {
		t.Errorf("bob after ada's logout-all: %d sessions, want his 1", len(lb))
	}
	b.wantValue("user", "bob")
	// All but this one.
	a1.login("ada", "laptop")
	a2.login("ada", "phone")
	r = a1.do(http.MethodPost, "/logout-all", url.Values{"others": {"1"}})
	if r.status != http.StatusOK || r.num("destroyed") != 1 || r.cleared {
		t.Fatalf("POST /logout-all others=1: status %d, body %v; want 1 destroyed, this token kept", r.status, r.body)
	}
	wantLoggedOut(t, a2, "the other session after logout-others")
	if l, _ := a1.listed(); len(l) != 1 {
		t.Errorf("after logout-others: %d sessions listed, want 1", len(l))
	}
}

// checkAccountsRevoke: a session revoked by its handle ends at once; a
// handle of another user's session revokes nothing.
func checkAccountsRevoke(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	a1, a2, b := f.client(t), f.client(t), f.client(t)
	a1.login("ada", "laptop")
	a2.login("ada", "phone")
	b.login("bob", "desk")
	_, h2 := a2.listed()
	_, hb := b.listed()
	if r := a1.do(http.MethodPost, "/revoke", url.Values{"handle": {hb}}); r.status != http.StatusNotFound {
		t.Errorf("ada revoking bob's handle: status %d, want 404", r.status)
	}
	b.wantValue("user", "bob")
	if r := a1.do(http.MethodPost, "/revoke", url.Values{"handle": {h2}}); r.status != http.StatusOK || r.num("destroyed") != 1 {
		t.Fatalf("POST /revoke: status %d, body %v; want 1 destroyed", r.status, r.body)
	}
	wantLoggedOut(t, a2, "the revoked session")
	if l, h1 := a1.listed(); len(l) != 1 || !l[h1] {
		t.Errorf("after the revoke: listed %v, want only the current session", l)
	}
	// Renew changes the handle; the old one revokes nothing.
	a1.login("ada", "laptop")
	if r := a1.do(http.MethodPost, "/revoke", url.Values{"handle": {h2}}); r.status != http.StatusNotFound {
		t.Errorf("revoking an ended session again: status %d, want 404", r.status)
	}
}

// checkAccountsExpiry: a session that idled out is no longer listed.
func checkAccountsExpiry(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: time.Second})
	a1, a2 := f.client(t), f.client(t)
	a1.login("ada", "laptop")
	a2.login("ada", "phone")
	for range 4 {
		time.Sleep(400 * time.Millisecond)
		a1.listed() // keeps a1 alive
	}
	if l, h1 := a1.listed(); len(l) != 1 || !l[h1] {
		t.Errorf("after the other session idled out: listed %v, want only the current one", l)
	}
}

// second serves the kit's routes for another store on f's server and key
// prefix, through a proxy of its own: a second app instance.
func (f *fixture) second(t *testing.T) (*proxy, string) {
	t.Helper()
	p := startProxy(t, f.e)
	st := f.tk.newStore(t, p.url(""), f.so)
	return p, f.serve(t, st)
}

// checkAccountsNoResurrection: a write of a session whose command reaches
// the store only after "log out everywhere" ended that session does not
// bring it back: the old token stays dead, and the late write lands in a
// new, unbound session.
func checkAccountsNoResurrection(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	p2, base2 := f.second(t)
	a1 := f.client(t)
	a1.login("ada", "laptop")
	a2 := f.clientAt(t, base2)
	a2.login("ada", "phone")
	old2 := a2.current()
	release := p2.delayNextCommand()
	done := make(chan reply, 1)
	go func() {
		r, _ := a2.try(http.MethodPost, "/set", url.Values{"k": {"cart"}, "v": {"tea"}})
		done <- r
	}()
	waitCommands(t, p2, 1)
	select {
	case <-done:
		t.Fatal("the write was not delayed")
	default:
	}
	if r := a1.do(http.MethodPost, "/logout-all", nil); r.num("destroyed") != 2 {
		t.Fatalf("POST /logout-all: body %v, want 2 destroyed", r.body)
	}
	release()
	<-done
	wantFresh(t, f.clientWith(t, old2), "the destroyed session after a late write", "user")
	if v, ok := a2.get("user"); ok {
		t.Errorf("the late write's session holds user %q: the destroyed session came back", v)
	}
	wantLoggedOut(t, a2, "the late write's session")
}

// checkAccountsLoginRace: a login whose save reaches the store only after
// "log out everywhere" ran survives, listed with its index entry.
func checkAccountsLoginRace(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	p2, base2 := f.second(t)
	a1 := f.client(t)
	a1.login("ada", "laptop")
	a2 := f.clientAt(t, base2)
	a2.set("x", "1")
	p2.reset()
	// The login's take goes through; its save (record and index entry)
	// is delayed past the logout-all.
	release := p2.delayCommands(1)
	done := make(chan reply, 1)
	go func() {
		r, _ := a2.try(http.MethodPost, "/login", url.Values{"user": {"ada"}, "label": {"phone"}})
		done <- r
	}()
	waitCommands(t, p2, 2)
	select {
	case <-done:
		t.Fatal("the login's save was not delayed")
	default:
	}
	if r := a1.do(http.MethodPost, "/logout-all", nil); r.num("destroyed") != 1 {
		t.Fatalf("POST /logout-all while the login is pending: body %v, want 1 destroyed", r.body)
	}
	release()
	if r := <-done; r.status != http.StatusOK || !r.set {
		t.Fatalf("the delayed login: status %d, body %v", r.status, r.body)
	}
	if l, h := a2.listed(); len(l) != 1 || !l[h] {
		t.Errorf("the login that raced logout-all: listed %v, want it listed as current", l)
	}
	a2.wantValue("x", "1")
}

// waitCommands waits until p has seen n session commands.
func waitCommands(t *testing.T, p *proxy, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(p.commands()) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the proxy saw %d commands, want %d", len(p.commands()), n)
		}
	}
}
