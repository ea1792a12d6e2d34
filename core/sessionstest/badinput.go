package sessionstest

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// b64url is the base64url alphabet, in order.
const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// flipChar changes the base64url character at or after i to one whose
// 6-bit value differs in its top bit, which is always a data bit (flipping
// a low bit of the last character may only touch padding bits).
func flipChar(s string, i int) string {
	b := []byte(s)
	for j := range b {
		k := (i + j) % len(b)
		if p := strings.IndexByte(b64url, b[k]); p >= 0 {
			b[k] = b64url[p^32]
			return string(b)
		}
	}
	return s + "A"
}

// randomize replaces every base64url character of s from position keep
// on with a random one: a token of the right shape and length whose
// content is random.
func randomize(s string, keep int) string {
	b := []byte(s)
	r := make([]byte, len(b))
	rand.Read(r)
	for i := keep; i < len(b); i++ {
		if strings.IndexByte(b64url, b[i]) >= 0 {
			b[i] = b64url[r[i]%64]
		}
	}
	return string(b)
}

// badTokens derives malformed tokens from a valid one.
func badTokens(valid string) []namedToken {
	oversized := valid + strings.Repeat("A", max(0, 8<<10-len(valid)))
	return []namedToken{
		{"tampered-first", flipChar(valid, 0)},
		{"tampered-middle", flipChar(valid, len(valid)/2)},
		{"tampered-last", flipChar(valid, len(valid)-1)},
		{"truncated-by-one", valid[:len(valid)-1]},
		{"truncated-half", valid[:len(valid)/2]},
		{"extended-by-one", valid + "A"},
		{"oversized-8KB", oversized},
		{"garbage", "not-a-session-token"},
		{"empty", ""},
		{"random-same-shape", randomize(valid, 0)},
		{"random-same-shape-same-start", randomize(valid, 2)},
	}
}

// checkBadInput: a malformed, tampered or foreign token never causes a
// 5xx and is never adopted: it reads as a new session, and a write on it
// issues a new token. The valid session it came from is left alone.
func checkBadInput(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	c := f.client(t)
	c.set("x", "1")
	valid := c.current()
	cases := append(badTokens(valid), s.tk.foreign(t, f)...)
	for _, bc := range cases {
		t.Run(bc.name, func(t *testing.T) {
			if bc.token == valid {
				t.Fatal("the bad token equals the valid one")
			}
			c := f.clientWith(t, bc.token)
			r := c.do(http.MethodGet, "/isnew", nil)
			wantStatus(t, "GET /isnew", r, http.StatusOK)
			if !r.bool("isnew") {
				t.Error("GET /isnew: the session is not new: the token was adopted")
			}
			if r.set {
				t.Error("GET /isnew: a read-only request issued a token")
			}
			if v, ok := c.get("x"); ok {
				t.Errorf("GET /get x = %q: the token was adopted", v)
			}
			r = c.do(http.MethodPost, "/set", url.Values{"k": {"y"}, "v": {"2"}})
			wantStatus(t, "POST /set", r, http.StatusOK)
			if !r.set || r.token == bc.token || r.token == valid {
				t.Fatalf("POST /set: token set %v, new %v; want a new token",
					r.set, r.token != bc.token && r.token != valid)
			}
			c.wantValue("y", "2")
			c.wantAbsent("x")
		})
	}
	// The valid session was left alone.
	c.wantValue("x", "1")
	c.wantAbsent("y")
}
