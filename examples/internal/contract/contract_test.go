package contract_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestContract walks the demo contract against the rig's store, for every
// program in both transports.
func TestContract(t *testing.T) {
	t.Parallel()
	store := rigStore(t)
	eachProgram(t, func(t *testing.T, prog string) {
		eachTransport(t, func(t *testing.T, tr transport) {
			a := startApp(t, prog, tr, "REDICT_URL="+store)
			walkContract(t, a)
			if logs := a.logs(); strings.Contains(logs, "random") {
				t.Errorf("%s uses a random key although one is configured:\n%s", prog, logs)
			}
		})
	})
}

// walk is what the contract walk carries from one step to the next.
type walk struct {
	a     *app
	user  string // the walk's user: alice, with a suffix of the walk's own
	other string // another user (bob, with the same suffix)
	sess  string // the live session's token, logged in as user from login on
	old   string // its token before the login renewed it
	bob   string // from accounts on: a session logged in as other
}

// walkContract checks every endpoint of the demo contract, in the
// program's transport: one subtest per step, in order, stopping at the
// first step that fails (the later ones build on it).
func walkContract(t *testing.T, a *app) {
	// The programs of one test share a store, and with it the per-user
	// index: each walk has users of its own.
	suffix := make([]byte, 6)
	rand.Read(suffix)
	w := &walk{a: a, user: "alice-" + hex.EncodeToString(suffix), other: "bob-" + hex.EncodeToString(suffix)}
	steps := []struct {
		name string
		run  func(*walk, *testing.T)
	}{
		{"health", (*walk).health},
		{"no session", (*walk).noSession},
		{"count", (*walk).count},
		{"login", (*walk).login},
		{"accounts", (*walk).accounts},
		{"kv", (*walk).kv},
		{"stored values", (*walk).storedValues},
		{"page", (*walk).page},
		{"large headers", (*walk).largeHeaders},
		{"bad tokens", (*walk).badTokens},
		{"escaping", (*walk).escaping},
		{"logout", (*walk).logout},
		{"logout-all", (*walk).logoutAll},
	}
	for _, step := range steps {
		if !t.Run(step.name, func(t *testing.T) { step.run(w, t) }) {
			return
		}
	}
}

// health: /health never touches the session: no cookie or token, with or
// without one (see count for the latter).
func (w *walk) health(t *testing.T) {
	r := w.a.do(t, "GET", "/health", "", nil)
	wantStatus(t, r, http.StatusOK)
	w.a.wantNoToken(t, r)
}

// noSession: reading without a session creates nothing.
func (w *walk) noSession(t *testing.T) {
	a := w.a
	r := a.do(t, "GET", "/api/read", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	r = a.do(t, "GET", "/", "", nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)
}

// count: the first count starts a session; reads see it and set nothing.
func (w *walk) count(t *testing.T) {
	a := w.a
	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	w.sess = a.mustToken(t, r)
	if !a.tr.jwt() {
		ck := mustSessionCookie(t, r)
		switch {
		case !ck.HttpOnly, ck.Secure, ck.SameSite != http.SameSiteLaxMode, ck.Path != "/":
			t.Errorf("cookie attributes: %q, want HttpOnly, SameSite=Lax, Path=/ and no Secure", r.header.Get("Set-Cookie"))
		case ck.MaxAge <= 0 || ck.MaxAge > 24*60*60:
			t.Errorf("cookie Max-Age %d, want (0, 86400] (the absolute timeout)", ck.MaxAge)
		}
	}
	wantJSON(t, a.do(t, "GET", "/api/count", w.sess, nil), http.StatusOK, `{"count":2}`)

	r = a.do(t, "GET", "/api/read", w.sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":2}`)
	a.wantNoToken(t, r)
	wantVary(t, r, a.tr) // it shows the session's data
	r = a.do(t, "GET", "/health", w.sess, nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)

	wantErrorJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusUnauthorized)
}

// login needs a user, refuses cross-site posts, and renews the id: a new
// token, the old one dead, the data kept.
func (w *walk) login(t *testing.T) {
	a := w.a
	// A refused login leaves the session alone.
	r := a.do(t, "POST", "/api/login", w.sess, url.Values{"user": {""}})
	wantErrorJSON(t, r, http.StatusBadRequest)
	a.wantNoToken(t, r)
	// A cross-site browser POST is refused before it reaches the session.
	r = a.doWith(t, "POST", "/api/login", w.sess, url.Values{"user": {"mallory"}},
		http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	wantStatus(t, r, http.StatusForbidden)
	a.wantNoToken(t, r)

	r = a.do(t, "POST", "/api/login", w.sess, url.Values{"user": {w.user}})
	wantJSON(t, r, http.StatusOK, `{"user":"`+w.user+`"}`)
	renewed := a.mustToken(t, r)
	if renewed == w.sess {
		t.Fatal("login kept the token; want a renewed session")
	}
	r = a.do(t, "GET", "/api/read", w.sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusUnauthorized)
	w.old, w.sess = w.sess, renewed

	// The renewed session keeps the data.
	wantJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusOK, `{"user":"`+w.user+`"}`)
	wantJSON(t, a.do(t, "GET", "/api/read", w.sess, nil), http.StatusOK, `{"count":2}`)
}

// kv: key-value pairs on the session. Reading the count, an integer, as
// a string is the client's mistake: 409, never a 5xx.
func (w *walk) kv(t *testing.T) {
	a := w.a
	wantStatus(t, a.do(t, "POST", "/api/kv?k=color&v=blue", w.sess, nil), http.StatusOK)
	wantJSON(t, a.do(t, "GET", "/api/kv?k=color", w.sess, nil), http.StatusOK, `{"k":"color","v":"blue"}`)
	wantErrorJSON(t, a.do(t, "GET", "/api/kv?k=shape", w.sess, nil), http.StatusNotFound)
	wantErrorJSON(t, a.do(t, "POST", "/api/kv?v=orphan", w.sess, nil), http.StatusBadRequest)
	wantErrorJSON(t, a.do(t, "GET", "/api/kv?k=count", w.sess, nil), http.StatusConflict)
}

// storedValues: what the client stores through /api/kv under the keys
// the endpoints read (count, user) never makes them answer 5xx: a count
// that is not a number is a 409 from the API, and the page still renders;
// a user key is data, not a login.
func (w *walk) storedValues(t *testing.T) {
	a := w.a
	r := a.do(t, "POST", "/api/kv?k=count&v=abc", "", nil)
	wantJSON(t, r, http.StatusOK, `{"k":"count","v":"abc"}`)
	sess := a.mustToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/count", sess, nil), http.StatusConflict)
	wantErrorJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusConflict)
	wantJSON(t, a.do(t, "GET", "/api/kv?k=count", sess, nil), http.StatusOK, `{"k":"count","v":"abc"}`)
	r = a.do(t, "GET", "/", sess, nil)
	wantStatus(t, r, http.StatusOK)
	if !a.tr.jwt() && !strings.Contains(string(r.body), `<output id="count">0</output>`) {
		t.Errorf("GET / with a count that is not a number does not show 0:\n%s", r.body)
	}

	// A user key written by the client logs nobody in, and does not change
	// who is logged in.
	const junk = `{"not":"a user"}<b>`
	wantStatus(t, a.do(t, "POST", "/api/kv", sess, url.Values{"k": {"user"}, "v": {junk}}), http.StatusOK)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusUnauthorized)
	wantErrorJSON(t, a.do(t, "GET", "/api/sessions", sess, nil), http.StatusUnauthorized)
	r = a.do(t, "GET", "/", sess, nil)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.body), "a user") {
		t.Errorf("GET / shows the junk user key:\n%s", r.body)
	}
	wantStatus(t, a.do(t, "POST", "/api/kv", w.sess, url.Values{"k": {"user"}, "v": {junk}}), http.StatusOK)
	wantJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusOK, `{"user":"`+w.user+`"}`)
	wantStatus(t, a.do(t, "GET", "/", w.sess, nil), http.StatusOK)
	wantStatus(t, a.do(t, "GET", "/api/sessions", w.sess, nil), http.StatusOK)
}

// page: in cookie mode the page shows the count and the user; in jwt mode
// it is static, and its script carries the token.
func (w *walk) page(t *testing.T) {
	r := w.a.do(t, "GET", "/", w.sess, nil)
	wantStatus(t, r, http.StatusOK)
	w.a.wantNoToken(t, r)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type %q, want text/html", ct)
	}
	if w.a.tr.jwt() {
		wantStaticPage(t, r)
		return
	}
	wantVary(t, r, w.a.tr) // it shows the session's data
	for _, want := range []string{`<output id="count">2</output>`, `<strong id="user">` + w.user + `</strong>`, `<li aria-current="true">`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("GET / lacks %s:\n%s", want, r.body)
		}
	}
	// The session the accounts step revoked is gone from the list.
	if n := strings.Count(string(r.body), "<li"); n != 1 {
		t.Errorf("GET / lists %d sessions, want 1:\n%s", n, r.body)
	}
}

// wantStaticPage checks the jwt-mode page: static (it shows no session
// data: the walk's user is alice), with a script that keeps the token in
// sessionStorage, sends it in the Session-Token header, and shows data as
// text only.
func wantStaticPage(t *testing.T, r response) {
	t.Helper()
	body := string(r.body)
	for _, want := range []string{"sessionStorage", `"Session-Token"`, "headers.get(", ".textContent", "/api/login", "/api/me", "/api/count", "/api/logout",
		"/api/logout-all", "/api/sessions", "/api/sessions/revoke?handle="} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / (jwt) lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage", "alice-"} {
		if strings.Contains(body, bad) {
			t.Errorf("GET / (jwt) holds %q:\n%s", bad, body)
		}
	}
}

// largeHeaders: an ordinary request with nearly 16 KB of headers (a few
// large cookies of other apps on the same host) is served.
func (w *walk) largeHeaders(t *testing.T) {
	var cookies []string
	for i := range 4 {
		cookies = append(cookies, "other"+string(rune('a'+i))+"="+strings.Repeat("x", 3500))
	}
	h := http.Header{}
	w.a.tr.attach(h, w.sess)
	if c := h.Get("Cookie"); c != "" {
		cookies = append(cookies, c)
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	r := w.a.doWith(t, "GET", "/api/read", "", nil, h)
	wantJSON(t, r, http.StatusOK, `{"count":2}`)
}

// badTokens: bad client input gets a fresh session, never a 5xx, and
// does not harm the live session.
func (w *walk) badTokens(t *testing.T) {
	a, sess := w.a, w.sess
	badTokens := map[string]string{
		"tampered":  a.tr.tamper(sess),
		"truncated": sess[:len(sess)-8],
		"garbage":   "not-a-session-token",
		"empty":     "",
		"oversized": strings.Repeat("A", 8<<10),
		"old":       w.old,
	}
	if a.tr.jwt() {
		// Tokens that name the live session but are not the program's.
		if a.tr.jwtKey != nil && resign(sess, a.tr.jwtKey) != sess {
			t.Fatal("resign with the program's key does not reproduce its token")
		}
		badTokens["other key"] = resign(sess, []byte(strings.Repeat("k", 32)))
		badTokens["alg none"] = b64(`{"alg":"none","typ":"session+jwt"}`) + "." + jwtPart(t, sess, 1) + "."
		badTokens["three garbage parts"] = "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.c2ln"
	}
	for name, bad := range badTokens {
		t.Run(name, func(t *testing.T) {
			// Sent by hand, so that even the empty value goes out.
			h := http.Header{}
			a.tr.attach(h, bad)
			r := a.doWith(t, "GET", "/api/read", "", nil, h)
			wantJSON(t, r, http.StatusOK, `{"count":0}`)
			a.wantNoToken(t, r)
			wantErrorJSON(t, a.doWith(t, "GET", "/api/me", "", nil, h), http.StatusUnauthorized)
			r = a.doWith(t, "GET", "/api/count", "", nil, h)
			wantJSON(t, r, http.StatusOK, `{"count":1}`)
			if v := a.mustToken(t, r); v == sess || v == bad {
				t.Errorf("a bad token was reissued instead of a fresh session")
			}
		})
	}
	if a.tr.jwt() {
		// jwt mode reads no cookie, not even one holding a good token.
		r := a.doWith(t, "GET", "/api/read", "", nil, http.Header{"Cookie": {cookieName + "=" + sess}})
		wantJSON(t, r, http.StatusOK, `{"count":0}`)
	} else {
		// Of several cookies, the one that authenticates wins.
		r := a.doWith(t, "GET", "/api/read", "", nil, http.Header{
			"Cookie": {cookieName + "=not-a-session-cookie; " + cookieName + "=" + sess},
		})
		wantJSON(t, r, http.StatusOK, `{"count":2}`)
	}
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":2}`)
}

// escaping: what the page shows is escaped (cookie mode) or never part
// of it (jwt mode); the API returns it as JSON.
func (w *walk) escaping(t *testing.T) {
	const evil = `<img src=x onerror=alert(1)>`
	r := w.a.do(t, "POST", "/api/login", "", url.Values{"user": {evil}})
	wantJSON(t, r, http.StatusOK, `{"user":"<img src=x onerror=alert(1)>"}`)
	r = w.a.do(t, "GET", "/", w.a.mustToken(t, r), nil)
	wantStatus(t, r, http.StatusOK)
	if body := string(r.body); strings.Contains(body, "<img") || (!w.a.tr.jwt() && !strings.Contains(body, "&lt;img src=x")) {
		t.Errorf("GET / does not escape the user name:\n%s", body)
	}
}

// logout destroys the session and tells the client to drop its token;
// without a session it has nothing to clear.
func (w *walk) logout(t *testing.T) {
	a := w.a
	r := a.do(t, "POST", "/api/logout", w.sess, nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout: status %d, want 200 or 204; body %s", r.status, r.body)
	}
	a.wantCleared(t, r)
	r = a.do(t, "GET", "/api/read", w.sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", w.sess, nil), http.StatusUnauthorized)

	r = a.do(t, "POST", "/api/logout", "", nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout without session: status %d, want 200 or 204", r.status)
	}
	a.wantNoToken(t, r)
}
