package main_test

// Black-box tests: build the program, run it as a process on a loopback
// port, and walk the demo contract over HTTP in both transports, handling
// the session cookie or token by hand so that every Set-Cookie and
// Session-Token header is seen.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// appBin is the program under test, built once by TestMain.
var appBin string

// testSecret is the fixed SESSION_SECRET (hex, 32 bytes) the tests pass.
const testSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// testJWTKey is the fixed SESSION_JWT_KEY (hex, 32 bytes) the tests pass.
const testJWTKey = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"

// cookieName and tokenHeader are the library's defaults, which the app
// keeps.
const (
	cookieName  = "session"
	tokenHeader = "Session-Token"
)

// transport is how a test client carries the session in one of the app's
// two modes: the session cookie, or the token in the Session-Token header.
type transport struct {
	name   string   // "cookie" or "jwt"
	env    []string // the app's configuration for this mode
	jwtKey []byte   // jwt mode: the app's HS256 key, when the test chose it
}

// The transports with fixed keys.
var (
	cookieMode = transport{name: "cookie", env: []string{"SESSION_SECRET=" + testSecret}}
	jwtMode    = transport{
		name:   "jwt",
		env:    []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey},
		jwtKey: mustHex(testJWTKey),
	}
)

func (tr transport) jwt() bool { return tr.name == "jwt" }

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

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nethttp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "app")
	build := exec.Command("go", "build", "-o", appBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the app:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// rigStore returns the store URL of the test rig, skipping the test when
// there is none (failing instead when SESSIONS_REQUIRE_STORE is set).
func rigStore(t *testing.T) string {
	u := os.Getenv("REDICT_URL")
	if u == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal("REDICT_URL is empty but SESSIONS_REQUIRE_STORE is set")
		}
		t.Skip("REDICT_URL is empty (scripts/test.sh sets it)")
	}
	return u
}

// TestContract walks the demo contract against the rig's store, in both
// transports.
func TestContract(t *testing.T) {
	t.Parallel()
	store := rigStore(t)
	for _, tr := range []transport{cookieMode, jwtMode} {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, tr, "REDICT_URL="+store)
			walkContract(t, a)
			if logs := a.logs(); strings.Contains(logs, "random") {
				t.Errorf("the app uses a random key although one is configured:\n%s", logs)
			}
		})
	}
}

// TestEmbeddedStore runs the app as "go run" does out of the box: no
// REDICT_URL and no key, in either transport. It needs no external server.
func TestEmbeddedStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tr        transport
		warn, not string // in the log, not in the log
	}{
		{transport{name: "cookie"}, "SESSION_SECRET is empty", "SESSION_JWT_KEY"},
		{transport{name: "jwt", env: []string{"SESSION_TRANSPORT=jwt"}}, "SESSION_JWT_KEY is empty", "SESSION_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.tr.name, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, tt.tr)

			r := a.do(t, "GET", "/api/count", "", nil)
			wantJSON(t, r, http.StatusOK, `{"count":1}`)
			r = a.do(t, "GET", "/api/count", a.mustToken(t, r), nil)
			wantJSON(t, r, http.StatusOK, `{"count":2}`)

			logs := a.logs()
			for _, want := range []string{"embedded in-memory store", tt.warn} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
			if strings.Contains(logs, tt.not) {
				t.Errorf("log mentions %s, which %s mode does not use:\n%s", tt.not, tt.tr.name, logs)
			}

			// The whole contract holds on the embedded store too.
			walkContract(t, a)
		})
	}
}

// TestStoreDown checks, in both transports, that a store failure answers
// 503, so that a live session never reads as empty, and that the app
// recovers with the store. The store is a miniredis server of the test's
// own, stopped and restarted (with its data) under the running app.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	for _, tr := range []transport{cookieMode, jwtMode} {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			testStoreDown(t, tr)
		})
	}
}

func testStoreDown(t *testing.T, tr transport) {
	m := miniredis.RunT(t)
	a := startApp(t, tr, "REDICT_URL=redis://"+m.Addr()+"/0")

	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	sess := a.mustToken(t, r)
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"alice"}})
	wantJSON(t, r, http.StatusOK, `{"user":"alice"}`)
	sess = a.mustToken(t, r)

	m.Close()
	sessionPaths := []string{"/api/read", "/api/me", "/api/count"}
	if !tr.jwt() {
		sessionPaths = append(sessionPaths, "/") // the page shows session data
	}
	for _, path := range sessionPaths {
		r := a.doStoreDown(t, "GET", path, sess)
		if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"session store unavailable"`) {
			t.Errorf("GET %s with the store down: %d %s, want 503 {\"error\":\"session store unavailable\"}", path, r.status, r.body)
		}
		a.wantNoToken(t, r)
	}
	// Requests that need no store still work: in jwt mode the page too,
	// which is static.
	noStorePaths := []string{"/health"}
	if tr.jwt() {
		noStorePaths = append(noStorePaths, "/")
	}
	for _, path := range noStorePaths {
		r := a.doStoreDown(t, "GET", path, sess)
		wantStatus(t, r, http.StatusOK)
		a.wantNoToken(t, r)
	}
	wantJSON(t, a.doStoreDown(t, "GET", "/api/read", ""), http.StatusOK, `{"count":0}`)

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusOK, `{"user":"alice"}`)
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":1}`)
}

// TestSecureCookie checks that SESSION_COOKIE_SECURE=true makes the cookie
// Secure (the default leaves it off, for plain http; see walkContract).
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	a := startApp(t, cookieMode, "SESSION_COOKIE_SECURE=true")
	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	if ck := mustSessionCookie(t, r); !ck.Secure {
		t.Errorf("Set-Cookie %q lacks Secure", r.header.Get("Set-Cookie"))
	}
}

// TestBadConfig checks that invalid configuration stops the program at
// startup with exit status 1 and a message naming the variable, without
// echoing a key.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want string // in the output
	}{
		{"unknown transport", []string{"SESSION_TRANSPORT=carrier-pigeon"}, "SESSION_TRANSPORT"},
		{"secret not hex", []string{"SESSION_SECRET=" + strings.Repeat("zq", 32)}, "SESSION_SECRET"},
		{"secret too short", []string{"SESSION_SECRET=" + testSecret[:62]}, "SESSION_SECRET"},
		{"jwt key wrong length", []string{"SESSION_JWT_KEY=" + testSecret + "00"}, "SESSION_JWT_KEY"},
		{"jwt key not hex", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + strings.Repeat("zq", 32)}, "SESSION_JWT_KEY"},
		{"jwt key odd hex", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey[:63]}, "SESSION_JWT_KEY"},
		{"jwt key too short", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey[:62]}, "SESSION_JWT_KEY"},
		{"jwt key too long", []string{"SESSION_TRANSPORT=jwt", "SESSION_JWT_KEY=" + testJWTKey + testJWTKey}, "SESSION_JWT_KEY"},
		{"idle timeout not a duration", []string{"SESSION_IDLE_TIMEOUT=soon"}, "SESSION_IDLE_TIMEOUT"},
		{"absolute timeout not positive", []string{"SESSION_ABSOLUTE_TIMEOUT=-1h"}, "SESSION_ABSOLUTE_TIMEOUT"},
		{"absolute shorter than idle", []string{"SESSION_IDLE_TIMEOUT=2h", "SESSION_ABSOLUTE_TIMEOUT=1h"}, "must not be shorter"},
		{"cookie secure not a bool", []string{"SESSION_COOKIE_SECURE=maybe"}, "SESSION_COOKIE_SECURE"},
		{"store URL scheme", []string{"REDICT_URL=http://user:hunter2@127.0.0.1:1/"}, "REDICT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, appBin)
			// Port 0: should the config be accepted after all, the app
			// serves until the deadline instead of clashing on a port.
			cmd.Env = append(appEnv(), append([]string{"ADDR=127.0.0.1:0"}, tt.env...)...)
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("the app did not exit by itself:\n%s", out)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want exit status 1; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			for _, kv := range tt.env {
				_, v, _ := strings.Cut(kv, "=")
				if secretish(kv) && strings.Contains(string(out), v) {
					t.Errorf("output echoes the value of %s:\n%s", kv, out)
				}
			}
			if strings.Contains(string(out), "hunter2") {
				t.Errorf("output echoes the store password:\n%s", out)
			}
		})
	}
}

func secretish(kv string) bool {
	return strings.HasPrefix(kv, "SESSION_SECRET=") || strings.HasPrefix(kv, "SESSION_JWT_KEY=")
}

// walkContract checks every endpoint of the demo contract, in the app's
// transport.
func walkContract(t *testing.T, a *app) {
	// /health never touches the session: no cookie or token, with or
	// without one.
	r := a.do(t, "GET", "/health", "", nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)

	// Reading without a session creates nothing.
	r = a.do(t, "GET", "/api/read", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	r = a.do(t, "GET", "/", "", nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)

	// The first count starts a session.
	r = a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	sess := a.mustToken(t, r)
	if !a.tr.jwt() {
		ck := mustSessionCookie(t, r)
		switch {
		case !ck.HttpOnly, ck.Secure, ck.SameSite != http.SameSiteLaxMode, ck.Path != "/":
			t.Errorf("cookie attributes: %q, want HttpOnly, SameSite=Lax, Path=/ and no Secure", r.header.Get("Set-Cookie"))
		case ck.MaxAge <= 0 || ck.MaxAge > 24*60*60:
			t.Errorf("cookie Max-Age %d, want (0, 86400] (the absolute timeout)", ck.MaxAge)
		}
	}
	wantJSON(t, a.do(t, "GET", "/api/count", sess, nil), http.StatusOK, `{"count":2}`)

	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":2}`)
	a.wantNoToken(t, r)
	r = a.do(t, "GET", "/health", sess, nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)

	r = a.do(t, "GET", "/api/me", sess, nil)
	wantErrorJSON(t, r, http.StatusUnauthorized)

	// Login needs a user; a refused login leaves the session alone.
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {""}})
	wantErrorJSON(t, r, http.StatusBadRequest)
	a.wantNoToken(t, r)
	// A cross-site browser POST is refused before it reaches the session.
	r = a.doWith(t, "POST", "/api/login", sess, url.Values{"user": {"mallory"}},
		http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	wantStatus(t, r, http.StatusForbidden)
	a.wantNoToken(t, r)

	// Login renews the id: a new token, and the old one is dead.
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"alice"}})
	wantJSON(t, r, http.StatusOK, `{"user":"alice"}`)
	renewed := a.mustToken(t, r)
	if renewed == sess {
		t.Fatal("login kept the token; want a renewed session")
	}
	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusUnauthorized)
	old := sess
	sess = renewed

	// The renewed session keeps the data.
	wantJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusOK, `{"user":"alice"}`)
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":2}`)

	// Key-value pairs.
	wantStatus(t, a.do(t, "POST", "/api/kv?k=color&v=blue", sess, nil), http.StatusOK)
	wantJSON(t, a.do(t, "GET", "/api/kv?k=color", sess, nil), http.StatusOK, `{"k":"color","v":"blue"}`)
	wantErrorJSON(t, a.do(t, "GET", "/api/kv?k=shape", sess, nil), http.StatusNotFound)
	wantErrorJSON(t, a.do(t, "POST", "/api/kv?v=orphan", sess, nil), http.StatusBadRequest)

	// The page: in cookie mode it shows the count and the user; in jwt
	// mode it is static, and its script carries the token.
	r = a.do(t, "GET", "/", sess, nil)
	wantStatus(t, r, http.StatusOK)
	a.wantNoToken(t, r)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type %q, want text/html", ct)
	}
	if a.tr.jwt() {
		wantStaticPage(t, r)
	} else {
		for _, want := range []string{`<output id="count">2</output>`, `<strong id="user">alice</strong>`} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("GET / lacks %s:\n%s", want, r.body)
			}
		}
	}

	// Bad client input gets a fresh session, never a 5xx, and does not
	// harm the live session.
	badTokens := map[string]string{
		"tampered":  a.tr.tamper(sess),
		"truncated": sess[:len(sess)-8],
		"garbage":   "not-a-session-token",
		"empty":     "",
		"oversized": strings.Repeat("A", 8<<10),
		"old":       old,
	}
	if a.tr.jwt() {
		// Tokens that name the live session but are not the app's.
		if a.tr.jwtKey != nil && resign(sess, a.tr.jwtKey) != sess {
			t.Fatal("resign with the app's key does not reproduce the app's token")
		}
		badTokens["other key"] = resign(sess, []byte(strings.Repeat("k", 32)))
		badTokens["alg none"] = b64(`{"alg":"none","typ":"session+jwt"}`) + "." + jwtPart(t, sess, 1) + "."
		badTokens["three garbage parts"] = "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.c2ln"
	}
	for name, bad := range badTokens {
		t.Run("bad token/"+name, func(t *testing.T) {
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
		r = a.doWith(t, "GET", "/api/read", "", nil, http.Header{"Cookie": {cookieName + "=" + sess}})
		wantJSON(t, r, http.StatusOK, `{"count":0}`)
	} else {
		// Of several cookies, the one that authenticates wins.
		r = a.doWith(t, "GET", "/api/read", "", nil, http.Header{
			"Cookie": {cookieName + "=not-a-session-cookie; " + cookieName + "=" + sess},
		})
		wantJSON(t, r, http.StatusOK, `{"count":2}`)
	}
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":2}`)

	// What the page shows is escaped (cookie mode) or never part of it
	// (jwt mode); the API returns it as JSON.
	const evil = `<img src=x onerror=alert(1)>`
	r = a.do(t, "POST", "/api/login", "", url.Values{"user": {evil}})
	wantJSON(t, r, http.StatusOK, `{"user":"<img src=x onerror=alert(1)>"}`)
	r = a.do(t, "GET", "/", a.mustToken(t, r), nil)
	wantStatus(t, r, http.StatusOK)
	if body := string(r.body); strings.Contains(body, "<img") || (!a.tr.jwt() && !strings.Contains(body, "&lt;img src=x")) {
		t.Errorf("GET / does not escape the user name:\n%s", body)
	}

	// Logout destroys the session and tells the client to drop its token.
	r = a.do(t, "POST", "/api/logout", sess, nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout: status %d, want 200 or 204; body %s", r.status, r.body)
	}
	a.wantCleared(t, r)
	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	a.wantNoToken(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusUnauthorized)

	// Logout without a session has nothing to clear.
	r = a.do(t, "POST", "/api/logout", "", nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout without session: status %d, want 200 or 204", r.status)
	}
	a.wantNoToken(t, r)

	wantErrorJSON(t, a.do(t, "POST", "/api/logout-all", "", nil), http.StatusNotImplemented)
}

// wantStaticPage checks the jwt-mode page: static (it shows no session
// data: the walk's user is alice), with a script that keeps the token in
// sessionStorage, sends it in the Session-Token header, and shows data as
// text only.
func wantStaticPage(t *testing.T, r response) {
	t.Helper()
	body := string(r.body)
	for _, want := range []string{"sessionStorage", `"Session-Token"`, "headers.get(", ".textContent", "/api/login", "/api/me", "/api/count", "/api/logout"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / (jwt) lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage", "alice"} {
		if strings.Contains(body, bad) {
			t.Errorf("GET / (jwt) holds %q:\n%s", bad, body)
		}
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

// app is a running instance of the program.
type app struct {
	tr   transport
	base string
	cmd  *exec.Cmd
	out  syncBuffer    // stdout and stderr
	done chan struct{} // closed when the process has exited
	err  error         // the result of Wait, once done is closed

	client    *http.Client
	seen      []string // every session cookie or token the app set
	storeDown bool     // doWith accepts 5xx answers
}

// appEnv returns the test's environment without the app's variables, so
// that the developer's shell cannot change what a test runs.
func appEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "ADDR" || name == "REDICT_URL" || strings.HasPrefix(name, "SESSION_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// startApp runs the program in transport tr's mode, with env added to a
// clean environment, on a free loopback port, waits until /health answers,
// and stops it (checking for a clean exit and that no secret reached the
// log) when the test ends.
func startApp(t *testing.T, tr transport, env ...string) *app {
	t.Helper()
	env = append(slices.Clone(tr.env), env...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	a := &app{
		tr:     tr,
		base:   "http://" + addr,
		done:   make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	a.cmd = exec.Command(appBin)
	a.cmd.Env = append(appEnv(), append([]string{"ADDR=" + addr}, env...)...)
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() { a.stop(t, env) })

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-a.done:
			t.Fatalf("the app exited at startup (%v):\n%s", a.err, a.logs())
		default:
		}
		resp, err := a.client.Get(a.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health did not answer 200 within 15s (last error: %v):\n%s", err, a.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGINT and expects a graceful exit, then checks the log for
// the secrets in env and the cookies or tokens the app set.
func (a *app) stop(t *testing.T, env []string) {
	exitedEarly := false
	select {
	case <-a.done:
		exitedEarly = true
	default:
		a.cmd.Process.Signal(syscall.SIGINT)
	}
	select {
	case <-a.done:
	case <-time.After(15 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
		t.Errorf("the app did not stop within 15s of SIGINT")
	}
	logs := a.logs()
	switch {
	case exitedEarly:
		if !t.Failed() { // startApp reports an exit at startup
			t.Errorf("the app exited before the test ended (%v):\n%s", a.err, logs)
		}
	case a.err != nil:
		t.Errorf("the app exited with %v after SIGINT, want a clean exit:\n%s", a.err, logs)
	case !strings.Contains(logs, "msg=stopped"):
		t.Errorf("the app did not log its graceful stop:\n%s", logs)
	}
	for _, kv := range env {
		if name, v, _ := strings.Cut(kv, "="); secretish(kv) && strings.Contains(logs, v) {
			t.Errorf("the log holds the value of %s", name)
		}
	}
	for _, v := range a.seen {
		if strings.Contains(logs, v) {
			t.Errorf("the log holds a session token (%s mode)", a.tr.name)
			break
		}
	}
}

func (a *app) logs() string { return a.out.String() }

// response is what a test needs of an HTTP response.
type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
	cookies      []*http.Cookie // from Set-Cookie
}

// do sends a request carrying session token sess in the app's transport
// (none when sess is ""), and form, when not nil, as an urlencoded body.
func (a *app) do(t *testing.T, method, path, sess string, form url.Values) response {
	t.Helper()
	return a.doWith(t, method, path, sess, form, nil)
}

// doStoreDown is do for a request made while the store is down: a 5xx
// answer is not an error in itself.
func (a *app) doStoreDown(t *testing.T, method, path, sess string) response {
	t.Helper()
	a.storeDown = true
	defer func() { a.storeDown = false }()
	return a.doWith(t, method, path, sess, nil, nil)
}

// doWith is do with extra request headers; a Cookie or Session-Token
// header in h replaces the one do would send. It checks what every
// response must get right: no 5xx; in jwt mode no cookie at all, and a
// token only with the headers that keep it out of caches and readable
// cross-origin; in cookie mode no token header.
func (a *app) doWith(t *testing.T, method, path, sess string, form url.Values, h http.Header) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if sess != "" {
		a.tr.attach(req.Header, sess)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b, cookies: resp.Cookies()}
	for _, tok := range a.tr.tokens(r) {
		if tok != "" {
			a.seen = append(a.seen, tok)
		}
	}
	if a.tr.jwt() {
		if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s %s: Set-Cookie %q in jwt mode, want no cookies at all", method, path, sc)
		}
		if toks := r.header.Values(tokenHeader); len(toks) > 0 && toks[0] != "" {
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("%s %s: a token with Cache-Control %q, want no-store", method, path, cc)
			}
			if eh := r.header.Get("Access-Control-Expose-Headers"); !strings.Contains(eh, tokenHeader) {
				t.Errorf("%s %s: a token with Access-Control-Expose-Headers %q, want %s", method, path, eh, tokenHeader)
			}
		}
	} else if toks := r.header.Values(tokenHeader); len(toks) > 0 {
		t.Errorf("%s %s: %s header in cookie mode", method, path, tokenHeader)
	}
	if r.status >= 500 && r.status != http.StatusNotImplemented && !a.storeDown {
		t.Errorf("%s %s: server error %d: %s", method, path, r.status, b)
	}
	return r
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
}

// wantJSON checks the status and that the body is the JSON value want.
func wantJSON(t *testing.T, r response, status int, want string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", r.method, r.path, ct)
	}
	var got, exp any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Errorf("%s %s: body %q is not JSON: %v", r.method, r.path, r.body, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if !bytes.Equal(g, e) {
		t.Errorf("%s %s: body %s, want %s", r.method, r.path, g, e)
	}
}

// wantErrorJSON checks the status and a body {"error":"..."} with a
// non-empty message.
func wantErrorJSON(t *testing.T, r response, status int) {
	t.Helper()
	wantStatus(t, r, status)
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || body.Error == "" {
		t.Errorf("%s %s: body %q, want {\"error\":\"...\"}", r.method, r.path, r.body)
	}
}

func wantNoCookie(t *testing.T, r response) {
	t.Helper()
	if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
		t.Errorf("%s %s: Set-Cookie %q, want none", r.method, r.path, sc)
	}
}

// mustToken returns the one new token r gives the client.
func (a *app) mustToken(t *testing.T, r response) string {
	t.Helper()
	toks := a.tr.tokens(r)
	if len(toks) != 1 || toks[0] == "" {
		t.Fatalf("%s %s: %d session tokens set (empty: %v), want one new token", r.method, r.path, len(toks), slices.Contains(toks, ""))
	}
	return toks[0]
}

// wantNoToken checks that r neither gives nor clears a token, and in
// cookie mode that it sets no cookie at all (jwt mode checks that on
// every response).
func (a *app) wantNoToken(t *testing.T, r response) {
	t.Helper()
	if a.tr.jwt() {
		if n := len(a.tr.tokens(r)); n > 0 {
			t.Errorf("%s %s: %d %s headers, want none", r.method, r.path, n, tokenHeader)
		}
		return
	}
	wantNoCookie(t, r)
}

// wantCleared checks that r tells the client to drop its token: an
// expired empty cookie, or one empty Session-Token header.
func (a *app) wantCleared(t *testing.T, r response) {
	t.Helper()
	if a.tr.jwt() {
		if toks, ok := r.header[tokenHeader]; !ok || len(toks) != 1 || toks[0] != "" {
			t.Errorf("%s %s: %s headers %d, want one empty one", r.method, r.path, tokenHeader, len(toks))
		}
		return
	}
	ck := mustSessionCookie(t, r)
	if ck.Value != "" || ck.MaxAge >= 0 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("%s %s: Set-Cookie %q, want an empty value and Max-Age=0", r.method, r.path, r.header.Get("Set-Cookie"))
	}
}

// mustSessionCookie returns the one session cookie r sets.
func mustSessionCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	var found []*http.Cookie
	for _, c := range r.cookies {
		if c.Name == cookieName {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s: %d session cookies set (%q), want 1", r.method, r.path, len(found), r.header.Values("Set-Cookie"))
	}
	return found[0]
}

// syncBuffer is a bytes.Buffer safe for the writes of exec's copying
// goroutine and concurrent reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
