package contract_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// testSecret is the fixed SESSION_SECRET (hex, 32 bytes) the tests pass.
const testSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// testJWTKey is the fixed SESSION_JWT_KEY (hex, 32 bytes) the tests pass.
const testJWTKey = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

// cookieName and tokenHeader are the library's defaults, which the
// programs keep.
const (
	cookieName  = "session"
	tokenHeader = "Session-Token"
)

// transport is how a test client carries the session in one of a
// program's two modes: the session cookie, or the token in the
// Session-Token header.
type transport struct {
	name   string   // "cookie" or "jwt"
	env    []string // the program's configuration for this mode
	jwtKey []byte   // jwt mode: the program's HS256 key, when the test chose it
}

// The transports with fixed keys.
var (
	cookieMode = transport{name: "cookie", env: []string{"SESSION_SECRET=" + testSecret}}
	jwtMode    = transport{
		name:   "jwt",
		env:    []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey},
		jwtKey: mustHex(testJWTKey),
	}
	transports = []transport{cookieMode, jwtMode}
)

func (tr transport) jwt() bool { return tr.name == "jwt" }

// vary is the request header a response that depends on the session must
// name in Vary.
func (tr transport) vary() string {
	if tr.jwt() {
		return tokenHeader
	}
	return "Cookie"
}

// attach makes h carry session token tok, even an empty one.
func (tr transport) attach(h http.Header, tok string) {
	if tr.jwt() {
		h.Set(tokenHeader, tok)
	} else {
		h.Set("Cookie", cookieName+"="+tok)
	}
}

// tokens returns what r tells the client about its token: a new token, or
// "" for "drop your token", once per Set-Cookie of the session cookie
// (cookie mode) or per Session-Token header (jwt mode).
func (tr transport) tokens(r response) []string {
	if tr.jwt() {
		return r.header.Values(tokenHeader)
	}
	var vals []string
	for _, c := range r.cookies {
		if c.Name == cookieName {
			vals = append(vals, c.Value)
		}
	}
	return vals
}

// tamper returns tok with one character changed: in the middle of a
// cookie, in the middle of a token's signature.
func (tr transport) tamper(tok string) string {
	if tr.jwt() {
		sig := strings.LastIndexByte(tok, '.') + 1
		return flipChar(tok, sig+(len(tok)-sig)/2)
	}
	return flipChar(tok, len(tok)/2)
}

// eachTransport runs f in a parallel subtest per transport.
func eachTransport(t *testing.T, f func(t *testing.T, tr transport)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			f(t, tr)
		})
	}
}

// resign returns the JWT tok with its header and claims unchanged, signed
// with HS256 key key.
func resign(tok string, key []byte) string {
	signed := tok[:strings.LastIndexByte(tok, '.')]
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signed))
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// jwtPart returns part i (0 header, 1 claims, 2 signature) of JWT tok.
func jwtPart(t *testing.T, tok string, i int) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("a token of %d parts, want 3", len(parts))
	}
	return parts[i]
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// flipChar returns s with the character at i replaced by another base64url
// character.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
