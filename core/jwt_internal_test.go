package sessions

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var jwtSecret = []byte("0123456789abcdef0123456789abcdef")

func testJWTTransport(t testing.TB, o JWTOptions) *jwtTransport {
	t.Helper()
	if o.Keys == nil {
		o.Keys = []JWTKey{{Secret: jwtSecret}}
	}
	tr, err := newJWTTransport(o, 30*time.Minute, 24*time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// issue runs the transport's write and returns the token it sent.
func issue(t testing.TB, tr *jwtTransport, id credential, now time.Time) string {
	t.Helper()
	w := httptest.NewRecorder()
	tr.write(HTTPCarrier(w, httptest.NewRequest(http.MethodGet, "/", nil)), id, now.Add(24*time.Hour), now, persistDefault)
	return w.Header().Get(tr.opts.Header)
}

// readToken runs the transport's read on a request carrying tok.
func readToken(tr *jwtTransport, header, tok string, now time.Time) (credential, bool, bool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(header, tok)
	tok2, _, ok := tr.read(HTTPCarrier(httptest.NewRecorder(), r), now)
	return tok2.id, tok2.rewrite, ok
}

// forge signs claims with the given header fields and method and key.
func forge(t testing.TB, m jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestJWTIssueAndRead(t *testing.T) {
	t.Parallel()
	tr := testJWTTransport(t, JWTOptions{Issuer: "gosessions-test", Audience: "app"})
	now := time.Now()
	id := newCredential()
	tok := issue(t, tr, id, now)
	got, rewrite, ok := readToken(tr, DefaultJWTHeader, tok, now)
	if !ok || got != id || rewrite {
		t.Fatalf("read = ok %v rewrite %v, want the issued id without rewrite", ok, rewrite)
	}
	// Near its expiry (within the refresh window) it asks for a reissue.
	if _, rewrite, ok := readToken(tr, DefaultJWTHeader, tok, now.Add(20*time.Minute)); !ok || !rewrite {
		t.Fatalf("near expiry: ok %v rewrite %v, want a reissue", ok, rewrite)
	}
	var claims jwt.MapClaims
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, &claims)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["typ"] != JWTType || parsed.Header["alg"] != "HS256" {
		t.Errorf("header %v", parsed.Header)
	}
	for _, c := range []string{"sid", "exp", "iat", "nbf", "iss", "aud", "jti"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing", c)
		}
	}
	if exp, _ := claims.GetExpirationTime(); exp.Sub(now) > 30*time.Minute+time.Second {
		t.Errorf("exp is %v past now, want the idle timeout", exp.Sub(now))
	}
}

func TestJWTExpNeverPastDeadline(t *testing.T) {
	t.Parallel()
	tr := testJWTTransport(t, JWTOptions{})
	now := time.Now()
	w := httptest.NewRecorder()
	deadline := now.Add(5 * time.Minute)
	tr.write(HTTPCarrier(w, httptest.NewRequest(http.MethodGet, "/", nil)), newCredential(), deadline, now, persistDefault)
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(w.Header().Get(DefaultJWTHeader), &claims); err != nil {
		t.Fatal(err)
	}
	if claims.ExpiresAt.After(deadline) {
		t.Fatalf("exp %v is past the absolute deadline %v", claims.ExpiresAt, deadline)
	}
	if w.Header().Get("Access-Control-Expose-Headers") != DefaultJWTHeader {
		t.Error("the token header is not exposed to cross-origin scripts")
	}
}

// TestJWTAttacks lists the tokens an attacker may send; each must be
// refused (read reports no id), never adopted.
func TestJWTAttacks(t *testing.T) {
	t.Parallel()
	tr := testJWTTransport(t, JWTOptions{Issuer: "iss", Audience: "aud"})
	now := time.Now()
	id := newCredential()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{
			"sid": id.String(), "iss": "iss", "aud": "aud", "jti": "j",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	typ := map[string]any{"typ": JWTType}
	hs := func(c jwt.MapClaims) string { return forge(t, jwt.SigningMethodHS256, jwtSecret, typ, c) }

	// Sanity: the well-formed token is accepted, so every refusal below
	// is caused by the one thing that differs.
	if got, _, ok := readToken(tr, DefaultJWTHeader, hs(good()), now); !ok || got != id {
		t.Fatal("the reference token is refused")
	}

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	valid := hs(good())
	parts := strings.Split(valid, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[3] ^= 1

	cases := map[string]string{
		"HS384":                forge(t, jwt.SigningMethodHS384, jwtSecret, typ, good()),
		"HS512":                forge(t, jwt.SigningMethodHS512, jwtSecret, typ, good()),
		"RS256":                forge(t, jwt.SigningMethodRS256, rsaKey, typ, good()),
		"ES256 unknown key":    forge(t, jwt.SigningMethodES256, ecKey, typ, good()),
		"EdDSA unknown key":    forge(t, jwt.SigningMethodEdDSA, edKey, typ, good()),
		"HS256 keyed by a pub": forge(t, jwt.SigningMethodHS256, ecPub, typ, good()),
		"other secret":         forge(t, jwt.SigningMethodHS256, []byte("another secret, 32 bytes long..."), typ, good()),
		"flipped signature":    parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig),
		"swapped payload":      parts[0] + "." + b64(with("sid", newCredential().String())) + "." + parts[2],
		"no signature":         parts[0] + "." + parts[1] + ".",
		"expired":              hs(with("exp", now.Add(-time.Minute).Unix())),
		"missing exp":          hs(with("exp", nil)),
		"missing iat":          hs(with("iat", nil)),
		"iat in future":        hs(with("iat", now.Add(time.Hour).Unix())),
		"nbf in future":        hs(with("nbf", now.Add(time.Hour).Unix())),
		"exp past lifetime":    hs(with("exp", now.Add(48*time.Hour).Unix())),
		"wrong iss":            hs(with("iss", "evil")),
		"missing iss":          hs(with("iss", nil)),
		"wrong aud":            hs(with("aud", "evil")),
		"missing aud":          hs(with("aud", nil)),
		"sid number":           hs(with("sid", 12345)),
		"sid object":           hs(with("sid", map[string]any{"id": id.String()})),
		"sid empty":            hs(with("sid", "")),
		"sid missing":          hs(with("sid", nil)),
		"sid 10 KB":            hs(with("sid", strings.Repeat("A", 10<<10))),
		"sid padded":           hs(with("sid", id.String()+"=")),
		"sid not base64url":    hs(with("sid", strings.Repeat("+", credStrLen))),
		"no typ":               forge(t, jwt.SigningMethodHS256, jwtSecret, nil, good()),
		"typ JWT":              forge(t, jwt.SigningMethodHS256, jwtSecret, map[string]any{"typ": "JWT"}, good()),
		"unknown kid":          forge(t, jwt.SigningMethodHS256, jwtSecret, map[string]any{"typ": JWTType, "kid": "nope"}, good()),
		"kid number":           forge(t, jwt.SigningMethodHS256, jwtSecret, map[string]any{"typ": JWTType, "kid": 1}, good()),
		"four segments":        valid + ".AAAA",
		"five segments":        valid + ".AAAA.AAAA",
		"two segments":         parts[0] + "." + parts[1],
		"one megabyte":         strings.Repeat("A", 1<<20),
		"padded base64":        parts[0] + "=." + parts[1] + "." + parts[2],
		"garbage":              "not a token",
		"empty":                "",
	}
	for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
		h := b64(map[string]any{"alg": alg, "typ": JWTType})
		p := b64(good())
		cases["alg "+alg] = h + "." + p + "."
		cases["alg "+alg+" with signature"] = h + "." + p + "." + parts[2]
	}
	for name, tok := range cases {
		if got, _, ok := readToken(tr, DefaultJWTHeader, tok, now); ok {
			t.Errorf("%s: accepted (same id as the reference: %v)", name, got == id)
		}
	}
}

func TestJWTKeyRing(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id := newCredential()
	oldKey := JWTKey{ID: "k1", Secret: jwtSecret}
	newKey := JWTKey{ID: "k2", Secret: []byte("fedcba9876543210fedcba9876543210")}
	oldTok := issue(t, testJWTTransport(t, JWTOptions{Keys: []JWTKey{oldKey}}), id, now)
	ring := testJWTTransport(t, JWTOptions{Keys: []JWTKey{newKey, oldKey}})
	if got, _, ok := readToken(ring, DefaultJWTHeader, oldTok, now); !ok || got != id {
		t.Fatal("the ring does not verify a token of its old key")
	}
	newTok := issue(t, ring, id, now)
	if _, _, ok := readToken(testJWTTransport(t, JWTOptions{Keys: []JWTKey{oldKey}}), DefaultJWTHeader, newTok, now); ok {
		t.Fatal("the ring did not sign with its first key")
	}
	// A kid the ring lacks is refused even when the secret matches.
	alone := testJWTTransport(t, JWTOptions{Keys: []JWTKey{{ID: "k3", Secret: jwtSecret}}})
	if _, _, ok := readToken(alone, DefaultJWTHeader, oldTok, now); ok {
		t.Fatal("a token with an unconfigured kid was accepted")
	}
}

func TestJWTAsymmetric(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for name, pair := range map[string][2]JWTKey{
		"ES256": {{Algorithm: ES256, PrivateKey: ecKey}, {Algorithm: ES256, PublicKey: &ecKey.PublicKey}},
		"EdDSA": {{Algorithm: EdDSA, PrivateKey: edKey}, {Algorithm: EdDSA, PublicKey: edPub}},
	} {
		signer := testJWTTransport(t, JWTOptions{Keys: []JWTKey{pair[0]}})
		id := newCredential()
		tok := issue(t, signer, id, now)
		// Another service verifies with the public key alone.
		if _, err := newJWTTransport(JWTOptions{Keys: []JWTKey{pair[0], pair[0]}}, time.Hour, 24*time.Hour, time.Now); err == nil {
			t.Fatalf("%s: a ring holding the same key twice was accepted", name)
		}
		if _, err := newJWTTransport(JWTOptions{Keys: []JWTKey{pair[1]}}, time.Hour, 24*time.Hour, time.Now); err == nil {
			t.Fatalf("%s: a verify-only first key was accepted", name)
		}
		if got, _, ok := readToken(signer, DefaultJWTHeader, tok, now); !ok || got != id {
			t.Fatalf("%s: own token refused", name)
		}
		// An HS256 token keyed with the public key bytes must not pass.
		raw, _ := x509.MarshalPKIXPublicKey(signer.keys[0].verify)
		forged := forge(t, jwt.SigningMethodHS256, raw, map[string]any{"typ": JWTType}, jwt.MapClaims{
			"sid": id.String(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		})
		if _, _, ok := readToken(signer, DefaultJWTHeader, forged, now); ok {
			t.Fatalf("%s: key confusion: an HS256 token keyed by the public key passed", name)
		}
	}
}

func TestJWTBearer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id := newCredential()
	plain := testJWTTransport(t, JWTOptions{})
	bearer := testJWTTransport(t, JWTOptions{AcceptBearer: true})
	tok := issue(t, bearer, id, now)
	if _, _, ok := readToken(plain, "Authorization", "Bearer "+tok, now); ok {
		t.Fatal("Authorization accepted without AcceptBearer")
	}
	if got, _, ok := readToken(bearer, "Authorization", "bearer "+tok, now); !ok || got != id {
		t.Fatal("Authorization: Bearer refused with AcceptBearer")
	}
}

func TestJWTOptionsRefused(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	hs := []JWTKey{{Secret: jwtSecret}}
	cases := map[string]JWTOptions{
		"no keys":                          {},
		"short secret":                     {Keys: []JWTKey{{Secret: []byte("short")}}},
		"unknown algorithm":                {Keys: []JWTKey{{Algorithm: "HS512", Secret: jwtSecret}}},
		"none":                             {Keys: []JWTKey{{Algorithm: "none"}}},
		"ES256 with secret":                {Keys: []JWTKey{{Algorithm: ES256, Secret: jwtSecret, PrivateKey: ecKey}}},
		"ES256 on P-384":                   {Keys: []JWTKey{{Algorithm: ES256, PrivateKey: p384}}},
		"ES256 with ed25519":               {Keys: []JWTKey{{Algorithm: ES256, PrivateKey: edKey}}},
		"EdDSA with ecdsa":                 {Keys: []JWTKey{{Algorithm: EdDSA, PrivateKey: ecKey}}},
		"HS256 with key pair":              {Keys: []JWTKey{{Secret: jwtSecret, PrivateKey: ecKey}}},
		"duplicate IDs":                    {Keys: []JWTKey{{ID: "a", Secret: jwtSecret}, {ID: "a", Secret: jwtSecret}}},
		"Authorization header":             {Keys: hs, Header: "Authorization"},
		"bad header":                       {Keys: hs, Header: "Session Token"},
		"negative leeway":                  {Keys: hs, Leeway: -time.Second},
		"huge leeway":                      {Keys: hs, Leeway: time.Hour},
		"window past idle":                 {Keys: hs, RefreshWindow: 2 * time.Hour},
		"negative token length":            {Keys: hs, MaxTokenLength: -1},
		"token length below issued tokens": {Keys: hs, MaxTokenLength: 200},
		"same secret twice unnamed":        {Keys: []JWTKey{{Secret: jwtSecret}, {Secret: jwtSecret}}},
	}
	for name, o := range cases {
		if _, err := newJWTTransport(o, time.Hour, 24*time.Hour, time.Now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzJWTParse holds the token parser to: never panic, and accept nothing
// but a token the key signed for the sealed id.
func FuzzJWTParse(f *testing.F) {
	tr := testJWTTransport(f, JWTOptions{})
	now := time.Now()
	id := credential{9, 9, 9}
	valid := issue(f, tr, id, now)
	f.Add(valid)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(valid + ".x")
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Fuzz(func(t *testing.T, tok string) {
		got, exp, _, why := tr.parse(tok)
		if why != "" {
			return
		}
		if got != id {
			t.Fatalf("accepted a token for another id")
		}
		if exp.Sub(now) > 24*time.Hour+time.Minute {
			t.Fatalf("accepted a token that outlives the session")
		}
	})
}

// The README's one-key set-up rotates (issue 6, item 8): its tokens carry
// a kid derived from the key, so a ring that puts a new key first (named
// or not) still verifies them; a kid-less token (issued before kids were
// derived) verifies only against the ring's one unnamed key.
func TestJWTRotationFromOneKey(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id := newCredential()
	oldSecret := jwtSecret
	newSecret := []byte("fedcba9876543210fedcba9876543210")
	one := testJWTTransport(t, JWTOptions{Keys: []JWTKey{{Secret: oldSecret}}})
	tok := issue(t, one, id, now)
	kidless := forge(t, jwt.SigningMethodHS256, oldSecret, map[string]any{"typ": JWTType},
		jwt.MapClaims{"sid": id.String(), "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix()})
	for name, ring := range map[string][]JWTKey{
		"new key unnamed": {{Secret: newSecret}, {Secret: oldSecret}},
		"new key named":   {{ID: "2026-12", Secret: newSecret}, {Secret: oldSecret}},
	} {
		tr := testJWTTransport(t, JWTOptions{Keys: ring})
		if got, _, ok := readToken(tr, DefaultJWTHeader, tok, now); !ok || got != id {
			t.Errorf("%s: the one-key set-up's token is refused after rotation", name)
		}
		if _, _, ok := readToken(one, DefaultJWTHeader, issue(t, tr, id, now), now); ok {
			t.Errorf("%s: the ring does not sign with its new first key", name)
		}
		_, _, ok := readToken(tr, DefaultJWTHeader, kidless, now)
		if want := name == "new key named"; ok != want {
			t.Errorf("%s: a kid-less token accepted %v, want %v (only against a single unnamed key)", name, ok, want)
		}
	}
	if _, _, ok := readToken(one, DefaultJWTHeader, kidless, now); !ok {
		t.Error("a kid-less token of the one key is refused by the one-key ring")
	}
	named := testJWTTransport(t, JWTOptions{Keys: []JWTKey{{ID: "k1", Secret: oldSecret}}})
	if _, _, ok := readToken(named, DefaultJWTHeader, kidless, now); ok {
		t.Error("a kid-less token is accepted by a ring of named keys")
	}
}

// Issue 16 item 5: naming a key that is in use logs nobody out. Tokens of
// the README's one-key set-up carry the key's derived kid; adding an ID to
// that key, or naming both keys at the first rotation, must still verify
// them (as long as they live: a key with an ID also answers to its derived
// kid).
func TestJWTNamingAKeyInUse(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id := newCredential()
	oldSecret := jwtSecret
	newSecret := []byte("fedcba9876543210fedcba9876543210")
	tok := issue(t, testJWTTransport(t, JWTOptions{Keys: []JWTKey{{Secret: oldSecret}}}), id, now)
	for name, ring := range map[string][]JWTKey{
		"the one key named":        {{ID: "k2026", Secret: oldSecret}},
		"both keys named":          {{ID: "k2027", Secret: newSecret}, {ID: "k2026", Secret: oldSecret}},
		"new unnamed, old renamed": {{Secret: newSecret}, {ID: "k2026", Secret: oldSecret}},
	} {
		tr := testJWTTransport(t, JWTOptions{Keys: ring})
		got, rewrite, ok := readToken(tr, DefaultJWTHeader, tok, now)
		if !ok || got != id {
			t.Errorf("%s: a token of the unnamed key is refused", name)
		}
		if !rewrite {
			t.Errorf("%s: a token under a kid that is not the signing key's ID is not reissued", name)
		}
		if _, rewrite, _ := readToken(tr, DefaultJWTHeader, issue(t, tr, id, now), now); rewrite {
			t.Errorf("%s: a fresh token of the signing key is reissued at once", name)
		}
	}
	// The derived kid of a named key stays its own: another key may not
	// take it as an ID.
	derived := deriveKID(oldSecret)
	if _, err := newJWTTransport(JWTOptions{Keys: []JWTKey{{ID: derived, Secret: newSecret}, {ID: "k2026", Secret: oldSecret}}},
		30*time.Minute, 24*time.Hour, time.Now); err == nil {
		t.Error("a key whose ID is another key's derived kid was accepted")
	}
	// A token under the derived kid verifies only with that key's material.
	forged := forge(t, jwt.SigningMethodHS256, newSecret, map[string]any{"typ": JWTType, "kid": derived},
		jwt.MapClaims{"sid": id.String(), "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Unix()})
	tr := testJWTTransport(t, JWTOptions{Keys: []JWTKey{{ID: "k2027", Secret: newSecret}, {ID: "k2026", Secret: oldSecret}}})
	if _, _, ok := readToken(tr, DefaultJWTHeader, forged, now); ok {
		t.Error("a token signed with another key under a derived kid was accepted")
	}
}
