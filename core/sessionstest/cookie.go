package sessionstest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// cookieName is the name of the cookie kit's cookie.
const cookieName = "session"

// cookieKit is the cookie transport: the token is the value of the
// "session" cookie. Its stores omit Secure, since the kit speaks plain
// http; the attributes check makes a store with the defaults.
func cookieKit(e *env) *transportKit {
	return &transportKit{
		name: "cookie",
		newStore: func(t testing.TB, storeURL string, so sessions.StoreOptions) *sessions.Store {
			so.LocalCache = localCache(so.LocalCache, e.h.LocalCache)
			return newCookieStore(t, storeURL, so, sessions.CookieOptions{
				Name:          cookieName,
				Secrets:       [][]byte{e.secret},
				DisableSecure: true,
			})
		},
		attach: func(req *http.Request, token string) {
			req.Header.Add("Cookie", cookieName+"="+token)
		},
		read: func(resp *http.Response) (string, bool, bool) {
			// Only Max-Age=0 (MaxAge < 0 once parsed) makes a browser
			// drop the cookie; an empty value alone would be kept.
			ck := lastSetCookie(resp, cookieName)
			switch {
			case ck == nil:
				return "", false, false
			case ck.MaxAge < 0:
				return "", false, true
			}
			return ck.Value, true, false
		},
		foreign: foreignCookies,
		only: []check{
			{"attributes", checkCookieAttributes},
			{"several-cookies", checkSeveralCookies},
			{"key-rotation", checkKeyRotation},
		},
	}
}

// newCookieStore returns a cookie store on the server at storeURL.
func newCookieStore(t testing.TB, storeURL string, so sessions.StoreOptions, co sessions.CookieOptions) *sessions.Store {
	t.Helper()
	st, err := sessions.NewCookieStore(newClient(t, storeURL), so, co)
	if err != nil {
		t.Fatalf("sessionstest: NewCookieStore: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() }) // the test is over
	return st
}

// newClient returns a client of the store at storeURL, closed when t ends.
// A URL of one of the kit's proxies (proxy.url) reaches REDICT_URL's store
// through that proxy.
func newClient(t testing.TB, storeURL string) sessions.Client {
	t.Helper()
	var co sessions.ClientOptions
	if id, query, ok := strings.Cut(strings.TrimPrefix(storeURL, proxyScheme), "?"); ok && strings.HasPrefix(storeURL, proxyScheme) {
		v, found := proxies.Load(id)
		if !found {
			t.Fatalf("sessionstest: no proxy %q", id)
		}
		p := v.(*proxy)
		co.Dialer = p.dial
		storeURL = p.e.raw
		if query != "" {
			sep := "?"
			if strings.Contains(storeURL, "?") {
				sep = "&"
			}
			storeURL += sep + query
		}
	}
	client, err := sessions.NewClientWith(storeURL, co)
	if err != nil {
		t.Fatalf("sessionstest: NewClient: %v", err)
	}
	t.Cleanup(func() { _ = client.Close() }) // the test is over
	return client
}

// lastSetCookie returns the response's last Set-Cookie of the given name.
func lastSetCookie(resp *http.Response, name string) *http.Cookie {
	var last *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			last = ck
		}
	}
	return last
}

// setCookieLines returns the response's raw Set-Cookie lines for name.
func setCookieLines(resp *http.Response, name string) []string {
	var out []string
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			out = append(out, line)
		}
	}
	return out
}

// foreignCookies returns cookies that name a live session under f's
// prefix (holding x) but were sealed by stores f's store must not trust:
// one with another secret, one for another cookie name (same secret; the
// name is bound to the seal).
func foreignCookies(t testing.TB, f *fixture) []namedToken {
	t.Helper()
	otherSecret := newCookieStore(t, f.storeURL(), f.so, sessions.CookieOptions{
		Name: cookieName, Secrets: [][]byte{randomBytes(32)}, DisableSecure: true,
	})
	otherName := newCookieStore(t, f.storeURL(), f.so, sessions.CookieOptions{
		Name: "other", Secrets: [][]byte{f.e.secret}, DisableSecure: true,
	})
	values := map[string]string{"x": "1"}
	var out []namedToken
	if ck := lastSetCookie(mint(t, otherSecret, values), cookieName); ck != nil {
		out = append(out, namedToken{"other-secret", ck.Value})
	}
	if ck := lastSetCookie(mint(t, otherName, values), "other"); ck != nil {
		out = append(out, namedToken{"other-cookie-name", ck.Value})
	}
	if len(out) != 2 {
		t.Fatalf("sessionstest: minting foreign cookies: got %d of 2", len(out))
	}
	return out
}

// checkCookieAttributes: a store with the default cookie options sets a
// cookie with HttpOnly, Secure, SameSite=Lax, Path=/ and a Max-Age of the
// absolute lifetime, on a response marked Vary: Cookie and no-store; its
// Destroy clears the cookie with Max-Age=0 on the same path.
func checkCookieAttributes(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	st := newCookieStore(t, f.storeURL(), f.so, sessions.CookieOptions{Secrets: [][]byte{s.e.secret}})
	c := f.clientAt(t, f.serve(t, st))

	r := c.set("a", "1")
	lines := setCookieLines(r.resp, sessions.DefaultCookieName)
	if len(lines) != 1 {
		t.Fatalf("POST /set: %d Set-Cookie lines for %q, want 1", len(lines), sessions.DefaultCookieName)
	}
	ck, err := http.ParseSetCookie(lines[0])
	if err != nil {
		t.Fatalf("POST /set: Set-Cookie does not parse: %v", err)
	}
	if !ck.HttpOnly {
		t.Error("Set-Cookie lacks HttpOnly")
	}
	if !ck.Secure {
		t.Error("Set-Cookie lacks Secure")
	}
	if ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("Set-Cookie SameSite = %v, want Lax", ck.SameSite)
	}
	if ck.Path != "/" {
		t.Errorf("Set-Cookie Path = %q, want /", ck.Path)
	}
	if ck.Domain != "" {
		t.Errorf("Set-Cookie Domain = %q, want none", ck.Domain)
	}
	abs := int(sessions.DefaultAbsoluteTimeout / time.Second)
	if ck.MaxAge < abs-5 || ck.MaxAge > abs {
		t.Errorf("Set-Cookie Max-Age = %d, want about %d (the absolute lifetime)", ck.MaxAge, abs)
	}
	wantNoStore(t, "POST /set", r.resp)

	r = c.do(http.MethodPost, "/destroy", nil)
	lines = setCookieLines(r.resp, sessions.DefaultCookieName)
	if len(lines) != 1 {
		t.Fatalf("POST /destroy: %d Set-Cookie lines for %q, want 1", len(lines), sessions.DefaultCookieName)
	}
	if !strings.Contains(lines[0], "Max-Age=0") {
		t.Errorf("POST /destroy: Set-Cookie lacks Max-Age=0: %q", redactCookie(lines[0]))
	}
	if ck, err := http.ParseSetCookie(lines[0]); err != nil || ck.Path != "/" || ck.Value != "" {
		t.Errorf("POST /destroy: Set-Cookie must clear the value on Path=/: %q", redactCookie(lines[0]))
	}
	wantNoStore(t, "POST /destroy", r.resp)
}

// wantNoStore fails t unless resp varies by Cookie and may not be stored.
func wantNoStore(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	if !headerHasToken(resp.Header, "Vary", "Cookie") {
		t.Errorf("%s: Vary = %q, want it to name Cookie", what, resp.Header.Values("Vary"))
	}
	if !headerHasToken(resp.Header, "Cache-Control", "no-store") {
		t.Errorf("%s: Cache-Control = %q, want no-store", what, resp.Header.Values("Cache-Control"))
	}
}

// headerHasToken reports whether a comma-separated header holds token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// redactCookie drops the value of a Set-Cookie line, for messages.
func redactCookie(line string) string {
	name, rest, _ := strings.Cut(line, "=")
	value, attrs, _ := strings.Cut(rest, ";")
	return name + "=<" + strconv.Itoa(len(value)) + " bytes>;" + attrs
}

// checkSeveralCookies: of several cookies of the session's name in one
// request, the one that authenticates wins, in either order.
func checkSeveralCookies(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("x", "1")
	valid := c.current()
	for _, bad := range []namedToken{
		{"garbage", "garbage"},
		{"tampered", flipChar(valid, len(valid)/2)},
		{"empty", ""},
	} {
		for _, order := range []struct {
			name    string
			cookies []string
		}{
			{"valid-first", []string{valid, bad.token}},
			{"valid-last", []string{bad.token, valid}},
		} {
			t.Run(bad.name+"/"+order.name, func(t *testing.T) {
				c := f.client(t)
				var parts []string
				for _, v := range order.cookies {
					parts = append(parts, cookieName+"="+v)
				}
				c.extra = http.Header{"Cookie": {strings.Join(parts, "; ")}}
				c.wantValue("x", "1")
			})
		}
	}
}

// checkKeyRotation: with a new secret put first, cookies sealed with the
// old one still work and are re-sealed, even by a read-only request; the
// re-sealed cookie works once the old secret is retired.
func checkKeyRotation(t *testing.T, s *suite) {
	oldSecret, newSecret := s.e.secret, randomBytes(32)
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("x", "1")
	oldCookie := c.current()

	both := newCookieStore(t, f.storeURL(), f.so, sessions.CookieOptions{
		Name: cookieName, Secrets: [][]byte{newSecret, oldSecret}, DisableSecure: true,
	})
	c2 := f.clientAt(t, f.serve(t, both))
	c2.setToken(oldCookie)
	r := c2.do(http.MethodGet, "/get", url.Values{"k": {"x"}})
	if r.status != http.StatusOK || !r.bool("found") || r.str("v") != "1" {
		t.Fatalf("GET /get with the old secret second: status %d, body %v; want x=1", r.status, r.body)
	}
	if !r.set || r.token == oldCookie {
		t.Fatalf("GET /get with a cookie sealed by the old secret: set %v, changed %v; want a re-sealed cookie", r.set, r.token != oldCookie)
	}
	newCookie := r.token
	if r := c2.do(http.MethodGet, "/get", url.Values{"k": {"x"}}); r.set {
		t.Error("GET /get with a re-sealed cookie: sets a cookie again")
	}

	only := newCookieStore(t, f.storeURL(), f.so, sessions.CookieOptions{
		Name: cookieName, Secrets: [][]byte{newSecret}, DisableSecure: true,
	})
	base := f.serve(t, only)
	c3 := f.clientAt(t, base)
	c3.setToken(newCookie)
	c3.wantValue("x", "1")
	c4 := f.clientAt(t, base)
	c4.setToken(oldCookie)
	c4.wantAbsent("x")
}
