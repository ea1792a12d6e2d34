package contract_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// listed is one entry of GET /api/sessions.
type listed struct {
	Handle   string    `json:"handle"`
	Current  bool      `json:"current"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Label    *string   `json:"label"` // optional
}

// loginAs logs a new client in as user, sending userAgent (when not
// empty), and returns its token.
func (w *walk) loginAs(t *testing.T, user, userAgent string) string {
	t.Helper()
	h := http.Header{}
	if userAgent != "" {
		h.Set("User-Agent", userAgent)
	}
	r := w.a.doWith(t, "POST", "/api/login", "", url.Values{"user": {user}}, h)
	wantJSON(t, r, http.StatusOK, `{"user":"`+user+`"}`)
	return w.a.mustToken(t, r)
}

// listSessions returns what GET /api/sessions lists for session sess,
// checking its shape: want entries, exactly one of them current, distinct
// handles, RFC 3339 times that are neither zero nor in the future, and no
// token or session id anywhere in the body.
func (w *walk) listSessions(t *testing.T, sess string, want int) []listed {
	t.Helper()
	a := w.a
	r := a.do(t, "GET", "/api/sessions", sess, nil)
	wantStatus(t, r, http.StatusOK)
	wantJSONType(t, r)
	a.wantNoToken(t, r)
	wantVary(t, r, a.tr)
	var body struct {
		Sessions []listed `json:"sessions"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("GET /api/sessions: body %s: %v", r.body, err)
	}
	list := body.Sessions
	if len(list) != want {
		t.Fatalf("GET /api/sessions lists %d sessions, want %d: %s", len(list), want, r.body)
	}
	current := 0
	now := time.Now()
	for i, s := range list {
		if s.Current {
			current++
		}
		switch {
		case s.Handle == "":
			t.Errorf("session %d has no handle: %s", i, r.body)
		case slices.IndexFunc(list[:i], func(o listed) bool { return o.Handle == s.Handle }) >= 0:
			t.Errorf("two sessions have the same handle: %s", r.body)
		case s.Created.IsZero() || s.LastSeen.IsZero() || s.Created.After(now.Add(time.Minute)) || s.LastSeen.After(now.Add(time.Minute)):
			t.Errorf("session %d: created %v, last seen %v, want times of the past", i, s.Created, s.LastSeen)
		}
	}
	if current != 1 {
		t.Errorf("GET /api/sessions marks %d sessions current, want 1: %s", current, r.body)
	}
	// A handle is no credential: it is none of the tokens the program gave
	// out, and in jwt mode none of the ids they carry.
	for _, tok := range a.seen {
		secrets := []string{tok}
		if a.tr.jwt() {
			secrets = append(secrets, jwtSID(t, tok))
		}
		for _, v := range secrets {
			if strings.Contains(string(r.body), v) {
				t.Fatalf("GET /api/sessions holds a session token or id: %s", r.body)
			}
			for _, s := range list {
				if strings.Contains(v, s.Handle) {
					t.Errorf("a handle is part of a session token or id")
				}
			}
		}
	}
	return list
}

// currentOf returns the handle of the session list marks current.
func currentOf(list []listed) string {
	for _, s := range list {
		if s.Current {
			return s.Handle
		}
	}
	return ""
}

// handles returns the handles of list, sorted.
func handles(list []listed) []string {
	var hs []string
	for _, s := range list {
		hs = append(hs, s.Handle)
	}
	slices.Sort(hs)
	return hs
}

// jwtSID returns the sid claim (the session id) of JWT tok.
func jwtSID(t *testing.T, tok string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(jwtPart(t, tok, 1))
	if err != nil {
		t.Fatalf("a token's claims: %v", err)
	}
	var claims struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(b, &claims); err != nil || claims.SID == "" {
		t.Fatalf("a token's claims hold no sid (%v)", err)
	}
	return claims.SID
}

// accounts: the per-user index. Without a logged-in user every accounts
// endpoint answers 401. A second client logs in as the walk's user and a
// third as another user; each lists its user's sessions and marks its
// own; the walk's session revokes the second by its handle, which ends
// it; a handle of the other user's session, or of an ended one, is a 404;
// a session that revokes itself is logged out.
func (w *walk) accounts(t *testing.T) {
	a := w.a
	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	anonymous := a.mustToken(t, r) // a session, but nobody logged in
	for _, sess := range []string{"", anonymous} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/sessions"},
			{"POST", "/api/sessions/revoke?handle=x"},
			{"POST", "/api/logout-all"},
		} {
			r := a.do(t, req.method, req.path, sess, nil)
			wantErrorJSON(t, r, http.StatusUnauthorized)
			a.wantNoToken(t, r)
		}
	}
	wantJSON(t, a.do(t, "GET", "/api/read", anonymous, nil), http.StatusOK, `{"count":1}`)

	const agent = "contract-test/second"
	second := w.loginAs(t, w.user, agent)
	w.bob = w.loginAs(t, w.other, "")
	mine := w.listSessions(t, w.sess, 2)
	theirs := w.listSessions(t, second, 2)
	bobs := w.listSessions(t, w.bob, 1)
	if !slices.Equal(handles(mine), handles(theirs)) {
		t.Fatalf("the user's two sessions list different sessions: %v and %v", handles(mine), handles(theirs))
	}
	self, other := currentOf(mine), currentOf(theirs)
	if self == other {
		t.Fatalf("both sessions mark the same session current")
	}
	for _, s := range theirs {
		if s.Handle == other && s.Label != nil && *s.Label != agent {
			t.Errorf("the second session's label is %q, want its User-Agent %q", *s.Label, agent)
		}
	}
	if slices.Contains(handles(mine), bobs[0].Handle) {
		t.Fatalf("another user's session is listed among the user's")
	}
	if !a.tr.jwt() {
		// The page lists both, with a revoke button on the other one only.
		r := a.do(t, "GET", "/", w.sess, nil)
		wantStatus(t, r, http.StatusOK)
		body := string(r.body)
		if n := strings.Count(body, "<li"); n != 2 || !strings.Contains(body, "handle="+other+`"`) || strings.Contains(body, "handle="+self+`"`) {
			t.Errorf("GET / does not list the two sessions with a revoke button on the other (%d items):\n%s", n, body)
		}
	}

	// Handles that are not the user's live sessions.
	for _, h := range []string{bobs[0].Handle, "not-a-handle", strings.Repeat("A", 16)} {
		wantErrorJSON(t, a.do(t, "POST", "/api/sessions/revoke?handle="+url.QueryEscape(h), w.sess, nil), http.StatusNotFound)
	}
	wantErrorJSON(t, a.do(t, "POST", "/api/sessions/revoke", w.sess, nil), http.StatusBadRequest)
	wantJSON(t, a.do(t, "GET", "/api/me", w.bob, nil), http.StatusOK, `{"user":"`+w.other+`"}`)
	wantJSON(t, a.do(t, "GET", "/api/me", second, nil), http.StatusOK, `{"user":"`+w.user+`"}`)

	// Revoking the other session by its handle ends it, wherever it is.
	r = a.do(t, "POST", "/api/sessions/revoke?handle="+url.QueryEscape(other), w.sess, nil)
	wantJSON(t, r, http.StatusOK, `{"destroyed":1}`)
	a.wantNoToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", second, nil), http.StatusUnauthorized)
	wantErrorJSON(t, a.do(t, "POST", "/api/sessions/revoke?handle="+url.QueryEscape(other), w.sess, nil), http.StatusNotFound)
	if left := w.listSessions(t, w.sess, 1); left[0].Handle != self {
		t.Errorf("after the revoke the user's session is %s, want %s", left[0].Handle, self)
	}
	wantJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusOK, `{"user":"`+w.user+`"}`)
	wantJSON(t, a.do(t, "GET", "/api/read", w.sess, nil), http.StatusOK, `{"count":2}`)
	w.listSessions(t, w.bob, 1)

	// Revoking one's own session is logging out: the token is cleared.
	third := w.loginAs(t, w.user, "")
	own := currentOf(w.listSessions(t, third, 2))
	r = a.do(t, "POST", "/api/sessions/revoke?handle="+url.QueryEscape(own), third, nil)
	wantJSON(t, r, http.StatusOK, `{"destroyed":1}`)
	a.wantCleared(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", third, nil), http.StatusUnauthorized)
	w.listSessions(t, w.sess, 1)
}

// logoutAll: logging out everywhere ends every session of the user, the
// caller's included (its token is cleared); another user's session lives
// on. Without a logged-in user it is a 401. (The walk's session is logged
// out by now: two new clients log in as its user.)
func (w *walk) logoutAll(t *testing.T) {
	a := w.a
	first := w.loginAs(t, w.user, "")
	second := w.loginAs(t, w.user, "")
	wantJSON(t, a.do(t, "GET", "/api/count", second, nil), http.StatusOK, `{"count":1}`)
	w.listSessions(t, first, 2)

	r := a.do(t, "POST", "/api/logout-all", first, nil)
	wantJSON(t, r, http.StatusOK, `{"destroyed":2}`)
	a.wantCleared(t, r)
	for _, sess := range []string{first, second} {
		wantErrorJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusUnauthorized)
		r := a.do(t, "GET", "/api/read", sess, nil)
		wantJSON(t, r, http.StatusOK, `{"count":0}`)
		a.wantNoToken(t, r)
	}
	r = a.do(t, "POST", "/api/logout-all", first, nil)
	wantErrorJSON(t, r, http.StatusUnauthorized)
	a.wantNoToken(t, r)

	// The other user is still logged in, alone.
	wantJSON(t, a.do(t, "GET", "/api/me", w.bob, nil), http.StatusOK, `{"user":"`+w.other+`"}`)
	w.listSessions(t, w.bob, 1)
	r = a.do(t, "POST", "/api/logout-all", w.bob, nil)
	wantJSON(t, r, http.StatusOK, `{"destroyed":1}`)
	a.wantCleared(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", w.bob, nil), http.StatusUnauthorized)
}
