package sessions

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testCookieTransport(t testing.TB, secrets ...string) *cookieTransport {
	t.Helper()
	var keys [][]byte
	for _, s := range secrets {
		keys = append(keys, []byte(s))
	}
	tr, err := newCookieTransport(CookieOptions{Secrets: keys}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestCookieSealOpen(t *testing.T) {
	t.Parallel()
	tr := testCookieTransport(t, secretA)
	now := time.Now()
	id := newCredential()
	v := tr.seal(id, now, persistDefault)
	if len(v) != cookieValueLen {
		t.Fatalf("sealed length %d, want %d", len(v), cookieValueLen)
	}
	if strings.Contains(v, id.String()) {
		t.Fatal("the sealed cookie shows the id")
	}
	got, issued, why := tr.open(v, now)
	ok := why == ""
	if !ok || got.id != id || got.rewrite || got.persist != persistDefault || issued.Unix() != now.Unix() {
		t.Fatalf("open = %v, %v, %v; want the sealed id", issued, got.rewrite, ok)
	}
	for _, p := range []persistChoice{persistOn, persistOff} {
		if got, _, why := tr.open(tr.seal(id, now, p), now); why != "" || got.persist != p {
			t.Errorf("sealed with RememberMe choice %d: refused %q, opened with %d", p, why, got.persist)
		}
	}
	if tr.seal(id, now, persistDefault) == v {
		t.Fatal("two seals of one id are equal: the nonce is not random")
	}
}

func TestCookieRefusals(t *testing.T) {
	t.Parallel()
	tr := testCookieTransport(t, secretA)
	now := time.Now()
	v := tr.seal(newCredential(), now, persistDefault)
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	otherName, err := newCookieTransport(CookieOptions{Secrets: [][]byte{[]byte(secretA)}, Name: "other"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":            "",
		"truncated":        v[:len(v)-1],
		"extended":         v + "A",
		"oversized":        strings.Repeat("A", 8192),
		"padded":           v + "==",
		"std alphabet":     strings.NewReplacer("-", "+", "_", "/").Replace(v) + "!",
		"flipped version":  flip(0),
		"flipped nonce":    flip(5),
		"flipped body":     flip(20),
		"flipped tag":      flip(len(raw) - 1),
		"other secret":     testCookieTransport(t, secretB).seal(newCredential(), now, persistDefault),
		"other name":       otherName.seal(newCredential(), now, persistDefault),
		"issued in future": tr.seal(newCredential(), now.Add(2*cookieSkew), persistDefault),
		"too old":          tr.seal(newCredential(), now.Add(-time.Hour-2*cookieSkew), persistDefault),
	}
	for name, val := range cases {
		if _, _, why := tr.open(val, now); why == "" {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestCookieRotation(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id := newCredential()
	oldV := testCookieTransport(t, secretA).seal(id, now, persistDefault)
	rotated := testCookieTransport(t, secretB, secretA)
	got, _, why := rotated.open(oldV, now)
	ok := why == ""
	if !ok || got.id != id || !got.rewrite {
		t.Fatalf("rotated ring: ok=%v old=%v, want the id opened with an old key", ok, got.rewrite)
	}
	newV := rotated.seal(id, now, persistDefault)
	if _, _, why := testCookieTransport(t, secretB).open(newV, now); why != "" {
		t.Fatal("a cookie sealed by the rotated ring does not open with the new key alone")
	}
	if _, _, why := testCookieTransport(t, secretA).open(newV, now); why == "" {
		t.Fatal("the first secret of the ring did not seal")
	}
}

func TestCookieReadPicksAuthentic(t *testing.T) {
	t.Parallel()
	tr := testCookieTransport(t, secretA)
	now := time.Now()
	older, newer := newCredential(), newCredential()
	vOld, vNew := tr.seal(older, now.Add(-10*time.Second), persistDefault), tr.seal(newer, now, persistDefault)
	for _, order := range [][]string{
		{"garbage", vNew},
		{vNew, "garbage"},
		{vOld, vNew},
		{vNew, vOld},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, v := range order {
			r.AddCookie(&http.Cookie{Name: "session", Value: v})
		}
		tok, _, ok := tr.read(HTTPCarrier(httptest.NewRecorder(), r), now)
		if !ok || tok.id != newer {
			t.Errorf("order %d cookies: did not pick the newest authentic one", len(order))
		}
	}
}

func TestCookieOptionsRefused(t *testing.T) {
	t.Parallel()
	good := [][]byte{[]byte(secretA)}
	cases := map[string]CookieOptions{
		"no secret":              {},
		"short secret":           {Secrets: [][]byte{[]byte("short")}},
		"short old secret":       {Secrets: [][]byte{[]byte(secretA), []byte("short")}},
		"SameSite=None insecure": {Secrets: good, SameSite: http.SameSiteNoneMode, DisableSecure: true},
		"Partitioned insecure":   {Secrets: good, Partitioned: true, DisableSecure: true},
		"__Host- with Domain":    {Secrets: good, Name: "__Host-s", Domain: "example.com"},
		"__Host- with Path":      {Secrets: good, Name: "__Host-s", Path: "/app"},
		"__Host- insecure":       {Secrets: good, Name: "__Host-s", DisableSecure: true},
		"__Secure- insecure":     {Secrets: good, Name: "__Secure-s", DisableSecure: true},
		"bad name":               {Secrets: good, Name: "a b"},
		"separator in name":      {Secrets: good, Name: "a;b"},
	}
	for name, o := range cases {
		if _, err := newCookieTransport(o, time.Hour); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, o := range map[string]CookieOptions{
		"defaults":     {Secrets: good},
		"__Host-":      {Secrets: good, Name: "__Host-session"},
		"None secure":  {Secrets: good, SameSite: http.SameSiteNoneMode, Partitioned: true},
		"dev insecure": {Secrets: good, DisableSecure: true},
	} {
		if _, err := newCookieTransport(o, time.Hour); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
}

// FuzzCookieOpen holds the cookie decoder to: never panic, open nothing but
// what the key sealed, and give back exactly the sealed id.
func FuzzCookieOpen(f *testing.F) {
	tr := testCookieTransport(f, secretA)
	now := time.Unix(1_800_000_000, 0)
	id := credential{1, 2, 3}
	valid := tr.seal(id, now, persistDefault)
	f.Add(valid)
	f.Add("")
	f.Add("garbage")
	f.Add(valid[:len(valid)-2])
	f.Add(strings.Repeat("A", cookieValueLen))
	f.Add(strings.Repeat("_", 5000))
	f.Fuzz(func(t *testing.T, v string) {
		got, _, why := tr.open(v, now)
		if why != "" {
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || base64.RawURLEncoding.EncodeToString(raw) != v {
			t.Fatal("opened a non-canonical encoding")
		}
		if got.id != id {
			t.Fatal("opened a forged cookie")
		}
	})
}
