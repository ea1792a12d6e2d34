package main_test

// Black-box tests: build the program, run it as a process on a loopback
// port, and walk the demo contract over HTTP, handling the session cookie
// by hand so that every Set-Cookie is seen.

import (
	"bytes"
	"context"
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

// cookieName is the library's default cookie name, which the app keeps.
const cookieName = "session"

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

// TestContract walks the demo contract against the rig's store.
func TestContract(t *testing.T) {
	t.Parallel()
	a := startApp(t, "REDICT_URL="+rigStore(t), "SESSION_SECRET="+testSecret)
	walkContract(t, a)
}

// TestEmbeddedStore runs the app as "go run" does out of the box: no
// REDICT_URL and no SESSION_SECRET. It needs no external server.
func TestEmbeddedStore(t *testing.T) {
	t.Parallel()
	a := startApp(t)

	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	ck := mustSessionCookie(t, r)
	r = a.do(t, "GET", "/api/count", ck.Value, nil)
	wantJSON(t, r, http.StatusOK, `{"count":2}`)

	logs := a.logs()
	for _, want := range []string{"embedded in-memory store", "SESSION_SECRET is empty"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	// The whole contract holds on the embedded store too.
	walkContract(t, a)
}

// TestStoreDown checks that a store failure answers 503, so that a live
// session never reads as empty, and that the app recovers with the store.
// The store is a miniredis server of the test's own, stopped and restarted
// (with its data) under the running app.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	a := startApp(t, "REDICT_URL=redis://"+m.Addr()+"/0", "SESSION_SECRET="+testSecret)

	r := a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	sess := mustSessionCookie(t, r).Value
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"alice"}})
	wantJSON(t, r, http.StatusOK, `{"user":"alice"}`)
	sess = mustSessionCookie(t, r).Value

	m.Close()
	for _, path := range []string{"/api/read", "/api/me", "/api/count", "/"} {
		r := a.doStoreDown(t, "GET", path, sess)
		if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"session store unavailable"`) {
			t.Errorf("GET %s with the store down: %d %s, want 503 {\"error\":\"session store unavailable\"}", path, r.status, r.body)
		}
		wantNoCookie(t, r)
	}
	// Requests that need no store still work.
	wantStatus(t, a.doStoreDown(t, "GET", "/health", sess), http.StatusOK)
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
	a := startApp(t, "SESSION_COOKIE_SECURE=true", "SESSION_SECRET="+testSecret)
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
		{"jwt not available yet", []string{"SESSION_TRANSPORT=jwt"}, "jwt mode is not available yet"},
		{"unknown transport", []string{"SESSION_TRANSPORT=carrier-pigeon"}, "SESSION_TRANSPORT"},
		{"secret not hex", []string{"SESSION_SECRET=" + strings.Repeat("zq", 32)}, "SESSION_SECRET"},
		{"secret too short", []string{"SESSION_SECRET=" + testSecret[:62]}, "SESSION_SECRET"},
		{"jwt key wrong length", []string{"SESSION_JWT_KEY=" + testSecret + "00"}, "SESSION_JWT_KEY"},
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

// walkContract checks every endpoint of the demo contract, in cookie mode.
func walkContract(t *testing.T, a *app) {
	// /health never touches the session: no cookie, with or without one.
	r := a.do(t, "GET", "/health", "", nil)
	wantStatus(t, r, http.StatusOK)
	wantNoCookie(t, r)

	// Reading without a session creates nothing.
	r = a.do(t, "GET", "/api/read", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	wantNoCookie(t, r)
	r = a.do(t, "GET", "/", "", nil)
	wantStatus(t, r, http.StatusOK)
	wantNoCookie(t, r)

	// The first count starts a session.
	r = a.do(t, "GET", "/api/count", "", nil)
	wantJSON(t, r, http.StatusOK, `{"count":1}`)
	ck := mustSessionCookie(t, r)
	switch {
	case ck.Value == "":
		t.Fatal("session cookie is empty")
	case !ck.HttpOnly, ck.Secure, ck.SameSite != http.SameSiteLaxMode, ck.Path != "/":
		t.Errorf("cookie attributes: %q, want HttpOnly, SameSite=Lax, Path=/ and no Secure", r.header.Get("Set-Cookie"))
	case ck.MaxAge <= 0 || ck.MaxAge > 24*60*60:
		t.Errorf("cookie Max-Age %d, want (0, 86400] (the absolute timeout)", ck.MaxAge)
	}
	sess := ck.Value
	wantJSON(t, a.do(t, "GET", "/api/count", sess, nil), http.StatusOK, `{"count":2}`)

	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":2}`)
	wantNoCookie(t, r)
	r = a.do(t, "GET", "/health", sess, nil)
	wantStatus(t, r, http.StatusOK)
	wantNoCookie(t, r)

	r = a.do(t, "GET", "/api/me", sess, nil)
	wantErrorJSON(t, r, http.StatusUnauthorized)

	// Login needs a user; a refused login leaves the session alone.
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {""}})
	wantErrorJSON(t, r, http.StatusBadRequest)
	wantNoCookie(t, r)
	// A cross-site browser POST is refused before it reaches the session.
	r = a.doWith(t, "POST", "/api/login", sess, url.Values{"user": {"mallory"}},
		http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	wantStatus(t, r, http.StatusForbidden)
	wantNoCookie(t, r)

	// Login renews the id: a new cookie, and the old one is dead.
	r = a.do(t, "POST", "/api/login", sess, url.Values{"user": {"alice"}})
	wantJSON(t, r, http.StatusOK, `{"user":"alice"}`)
	renewed := mustSessionCookie(t, r).Value
	if renewed == sess {
		t.Fatal("login kept the cookie value; want a renewed session")
	}
	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	wantNoCookie(t, r)
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

	// The page shows the count and the user.
	r = a.do(t, "GET", "/", sess, nil)
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type %q, want text/html", ct)
	}
	for _, want := range []string{`<output id="count">2</output>`, `<strong id="user">alice</strong>`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("GET / lacks %s:\n%s", want, r.body)
		}
	}

	// Bad cookies get a fresh session, never a 5xx, and do not harm the
	// live session.
	badCookies := map[string]string{
		"tampered":  flipChar(sess, len(sess)/2),
		"truncated": sess[:len(sess)-8],
		"garbage":   "not-a-session-cookie",
		"empty":     "",
		"oversized": strings.Repeat("A", 8<<10),
		"old":       old,
	}
	for name, bad := range badCookies {
		t.Run("bad cookie/"+name, func(t *testing.T) {
			// Sent by hand, so that even the empty value goes out.
			cookie := http.Header{"Cookie": {cookieName + "=" + bad}}
			r := a.doWith(t, "GET", "/api/read", "", nil, cookie)
			wantJSON(t, r, http.StatusOK, `{"count":0}`)
			wantNoCookie(t, r)
			wantErrorJSON(t, a.doWith(t, "GET", "/api/me", "", nil, cookie), http.StatusUnauthorized)
			r = a.doWith(t, "GET", "/api/count", "", nil, cookie)
			wantJSON(t, r, http.StatusOK, `{"count":1}`)
			if v := mustSessionCookie(t, r).Value; v == sess || v == bad {
				t.Errorf("a bad cookie was reissued instead of a fresh session")
			}
		})
	}
	// Of several cookies, the one that authenticates wins.
	r = a.doWith(t, "GET", "/api/read", "", nil, http.Header{
		"Cookie": {cookieName + "=not-a-session-cookie; " + cookieName + "=" + sess},
	})
	wantJSON(t, r, http.StatusOK, `{"count":2}`)
	wantJSON(t, a.do(t, "GET", "/api/read", sess, nil), http.StatusOK, `{"count":2}`)

	// The page escapes what it shows.
	r = a.do(t, "POST", "/api/login", "", url.Values{"user": {`<img src=x onerror=alert(1)>`}})
	wantStatus(t, r, http.StatusOK)
	r = a.do(t, "GET", "/", mustSessionCookie(t, r).Value, nil)
	wantStatus(t, r, http.StatusOK)
	if body := string(r.body); strings.Contains(body, "<img") || !strings.Contains(body, "&lt;img src=x") {
		t.Errorf("GET / does not escape the user name:\n%s", body)
	}

	// Logout destroys the session and clears the cookie.
	r = a.do(t, "POST", "/api/logout", sess, nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout: status %d, want 200 or 204; body %s", r.status, r.body)
	}
	ck = mustSessionCookie(t, r)
	if ck.Value != "" || ck.MaxAge >= 0 || !strings.Contains(r.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout Set-Cookie %q, want an empty value and Max-Age=0", r.header.Get("Set-Cookie"))
	}
	r = a.do(t, "GET", "/api/read", sess, nil)
	wantJSON(t, r, http.StatusOK, `{"count":0}`)
	wantNoCookie(t, r)
	wantErrorJSON(t, a.do(t, "GET", "/api/me", sess, nil), http.StatusUnauthorized)

	// Logout without a session has nothing to clear.
	r = a.do(t, "POST", "/api/logout", "", nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Errorf("logout without session: status %d, want 200 or 204", r.status)
	}
	wantNoCookie(t, r)

	wantErrorJSON(t, a.do(t, "POST", "/api/logout-all", "", nil), http.StatusNotImplemented)
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
	base string
	cmd  *exec.Cmd
	out  syncBuffer    // stdout and stderr
	done chan struct{} // closed when the process has exited
	err  error         // the result of Wait, once done is closed

	client    *http.Client
	seen      []string // every session cookie value the app set
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

// startApp runs the program with env added to a clean environment on a
// free loopback port, waits until /health answers, and stops it (checking
// for a clean exit and that no secret reached the log) when the test ends.
func startApp(t *testing.T, env ...string) *app {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	a := &app{
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
// the secrets in env and the cookies the app set.
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
			t.Errorf("the log holds a session cookie")
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

// do sends a request carrying session cookie value sess (no cookie when
// sess is ""), and form, when not nil, as an urlencoded body.
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

// doWith is do with extra request headers; a Cookie header in h replaces
// the one do would send.
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
		req.Header.Set("Cookie", cookieName+"="+sess)
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
	for _, c := range r.cookies {
		if c.Name == cookieName && c.Value != "" {
			a.seen = append(a.seen, c.Value)
		}
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
