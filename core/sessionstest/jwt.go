package sessionstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// The JWT kit's stores issue and require these claims.
const (
	jwtHeader   = sessions.DefaultJWTHeader
	jwtIssuer   = "sessionstest"
	jwtAudience = "sessionstest-app"
)

// jwtKit is the JWT transport: the token travels in the Session-Token
// header both ways; an empty header value in a response tells the client
// to drop its token.
func jwtKit(e *env) *transportKit {
	return &transportKit{
		name: "jwt",
		newStore: func(t testing.TB, storeURL string, so sessions.StoreOptions) *sessions.Store {
			so.LocalCache = localCache(so.LocalCache, e.h.LocalCache)
			return newJWTStore(t, storeURL, so, e.jwtOptions(e.secret))
		},
		attach: func(req *http.Request, token string) { req.Header.Set(jwtHeader, token) },
		read: func(resp *http.Response) (string, bool, bool) {
			vs, ok := resp.Header[http.CanonicalHeaderKey(jwtHeader)]
			switch {
			case !ok || len(vs) == 0:
				return "", false, false
			case vs[len(vs)-1] == "":
				return "", false, true
			}
			return vs[len(vs)-1], true, false
		},
		foreign: foreignJWTs,
		derived: func(token string) []string {
			if c, ok := jwtClaims(token); ok {
				if sid, _ := c["sid"].(string); sid != "" {
					return []string{sid}
				}
			}
			return nil
		},
		only: []check{
			{"headers", checkJWTHeaders},
			{"expiry-bound", checkJWTExpiry},
			{"refresh-window", checkJWTRefresh},
			{"unknown-sid", checkJWTUnknownSID},
		},
	}
}

func (e *env) jwtOptions(secret []byte) sessions.JWTOptions {
	return sessions.JWTOptions{
		Keys:     []sessions.JWTKey{{Secret: secret}},
		Issuer:   jwtIssuer,
		Audience: jwtAudience,
	}
}

func newJWTStore(t testing.TB, storeURL string, so sessions.StoreOptions, jo sessions.JWTOptions) *sessions.Store {
	t.Helper()
	st, err := sessions.NewJWTStore(newClient(t, storeURL), so, jo)
	if err != nil {
		t.Fatalf("sessionstest: NewJWTStore: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() }) // the test is over
	return st
}

// jwtClaims decodes a token's payload without verifying it.
func jwtClaims(token string) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var c map[string]any
	return c, json.Unmarshal(b, &c) == nil
}

func b64JSON(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// foreignJWTs returns tokens naming a live session under f's prefix
// (holding x) that f's store must refuse: signed with another key, for
// another issuer or audience, or re-dressed as unsigned (alg none, or the
// signature stripped) from a token f's store did issue.
func foreignJWTs(t testing.TB, f *fixture) []namedToken {
	t.Helper()
	values := map[string]string{"x": "1"}
	mintToken := func(jo sessions.JWTOptions) string {
		st := newJWTStore(t, f.storeURL(), f.so, jo)
		tok := mint(t, st, values).Header.Get(jwtHeader)
		if tok == "" {
			t.Fatal("sessionstest: minting a foreign token: none issued")
		}
		return tok
	}
	otherIssuer := f.e.jwtOptions(f.e.secret)
	otherIssuer.Issuer = "someone-else"
	otherAudience := f.e.jwtOptions(f.e.secret)
	otherAudience.Audience = "another-app"
	own := mint(t, f.store, values).Header.Get(jwtHeader)
	parts := strings.Split(own, ".")
	if len(parts) != 3 {
		t.Fatal("sessionstest: the store issued a token that is not a JWS")
	}
	out := []namedToken{
		{"other-key", mintToken(f.e.jwtOptions(randomBytes(32)))},
		{"other-issuer", mintToken(otherIssuer)},
		{"other-audience", mintToken(otherAudience)},
		{"signature-stripped", parts[0] + "." + parts[1] + "."},
	}
	for _, alg := range []string{"none", "None", "NONE"} {
		h := b64JSON(map[string]string{"alg": alg, "typ": sessions.JWTType})
		out = append(out, namedToken{"alg-" + alg, h + "." + parts[1] + "."})
	}
	return out
}

// checkJWTHeaders: a response that issues a token exposes it to
// cross-origin scripts and forbids caching; no cookie is ever set.
func checkJWTHeaders(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	r := c.set("a", "1")
	h := r.resp.Header
	if got := h.Get("Access-Control-Expose-Headers"); !strings.EqualFold(got, jwtHeader) {
		t.Errorf("Access-Control-Expose-Headers = %q, want %s", got, jwtHeader)
	}
	if got := h.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if len(r.resp.Cookies()) != 0 {
		t.Error("the JWT transport set a cookie")
	}
	r = c.do(http.MethodPost, "/destroy", nil)
	if vs := r.resp.Header.Values(jwtHeader); len(vs) != 1 || vs[0] != "" {
		t.Errorf("after destroy: %s header %q, want one empty value", jwtHeader, vs)
	}
}

// checkJWTExpiry: a token's exp is the session's idle deadline, never past
// its absolute deadline; iss and aud are the store's.
func checkJWTExpiry(t *testing.T, s *suite) {
	for _, tc := range []struct {
		name           string
		idle, absolute time.Duration
		want           time.Duration
	}{
		{"idle", 10 * time.Minute, time.Hour, 10 * time.Minute},
		{"absolute", 10 * time.Minute, 10 * time.Minute, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := s.setup(t, sessions.StoreOptions{IdleTimeout: tc.idle, AbsoluteTimeout: tc.absolute})
			c := f.client(t)
			before := time.Now()
			c.set("a", "1")
			claims, ok := jwtClaims(c.current())
			if !ok {
				t.Fatal("the token does not decode")
			}
			exp, _ := claims["exp"].(float64)
			if d := time.Unix(int64(exp), 0).Sub(before); d > tc.want+time.Second || d < tc.want-2*time.Second {
				t.Errorf("exp is %v after issue, want %v", d, tc.want)
			}
			if claims["iss"] != jwtIssuer {
				t.Errorf("iss = %v", claims["iss"])
			}
			for _, k := range []string{"sid", "iat", "nbf", "jti", "aud"} {
				if _, ok := claims[k]; !ok {
					t.Errorf("claim %s missing", k)
				}
			}
		})
	}
}

// checkJWTRefresh: a token is not reissued on every request, but is when
// its expiry comes within the refresh window on a request that uses the
// session; the new one expires later.
func checkJWTRefresh(t *testing.T, s *suite) {
	// Idle 4 s, window 2 s: exp has whole seconds, so a fresh token has
	// more than 3 s left (no reissue); 2.3 s later it has less than 2.
	f := s.setup(t, sessions.StoreOptions{IdleTimeout: 4 * time.Second})
	jo := f.e.jwtOptions(f.e.secret)
	jo.RefreshWindow = 2 * time.Second
	st := newJWTStore(t, f.storeURL(), f.so, jo)
	c := f.clientAt(t, f.serve(t, st))
	c.set("a", "1")
	first := c.current()
	if r := c.do(http.MethodGet, "/get", map[string][]string{"k": {"a"}}); r.set {
		t.Error("a fresh token was reissued at once")
	}
	time.Sleep(2300 * time.Millisecond) // into the refresh window
	r := c.do(http.MethodGet, "/untouched", nil)
	if r.set {
		t.Error("a request that did not use the session reissued the token")
	}
	r = c.do(http.MethodGet, "/get", map[string][]string{"k": {"a"}})
	if !r.set || r.token == first {
		t.Fatal("a token near its expiry was not reissued on a read")
	}
	c1, _ := jwtClaims(first)
	c2, _ := jwtClaims(r.token)
	if c1["sid"] != c2["sid"] {
		t.Error("the reissued token names another session")
	}
	if e1, e2 := c1["exp"].(float64), c2["exp"].(float64); e2 <= e1 {
		t.Errorf("the reissued token expires at %v, not after %v", e2, e1)
	}
	c.wantValue("a", "1")
}

// signHS256 signs claims as the kit's JWT stores do, with secret.
func signHS256(secret []byte, claims map[string]any) string {
	signing := b64JSON(map[string]string{"alg": "HS256", "typ": sessions.JWTType}) + "." + b64JSON(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkJWTUnknownSID: a validly signed token whose sid names no session
// (a client choosing its id) reads as a new session, and a write on it
// gets a store-drawn id, never the one the client chose.
func checkJWTUnknownSID(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	now := time.Now()
	chosen := base64.RawURLEncoding.EncodeToString(randomBytes(32))
	claims := map[string]any{
		"sid": chosen, "iss": jwtIssuer, "aud": jwtAudience, "jti": "kit",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	// Control: the same claims with a live sid are accepted, so what is
	// refused below is refused for the sid alone.
	live := f.client(t)
	live.set("x", "1")
	lc, _ := jwtClaims(live.current())
	claims["sid"] = lc["sid"]
	if v, ok := f.clientWith(t, signHS256(f.e.secret, claims)).get("x"); !ok || v != "1" {
		t.Fatal("a kit-signed token for a live sid is refused: the check would prove nothing")
	}
	claims["sid"] = chosen
	c := f.clientWith(t, signHS256(f.e.secret, claims))
	r := c.do(http.MethodGet, "/isnew", nil)
	wantStatus(t, "GET /isnew", r, http.StatusOK)
	if !r.bool("isnew") {
		t.Error("a token for an unknown sid loaded a session")
	}
	r = c.set("y", "2")
	got, _ := jwtClaims(r.token)
	if !r.set || got["sid"] == chosen {
		t.Fatal("the client-chosen sid was adopted")
	}
	f.wantKeys(t, 2, "after the write")
}
