package contract_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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

// app is a running instance of a program.
type app struct {
	prog string
	tr   transport
	base string
	cmd  *exec.Cmd
	out  syncBuffer    // stdout and stderr
	done chan struct{} // closed when the process has exited
	err  error         // the result of Wait, once done is closed

	client    *http.Client
	seen      []string // every session cookie or token the program set
	storeDown bool     // doWith accepts 5xx answers
}

// appEnv returns the test's environment without the programs' variables,
// so that the developer's shell cannot change what a test runs.
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

// secretish reports whether the variable kv ("NAME=value") holds a key.
func secretish(kv string) bool {
	return strings.HasPrefix(kv, "SESSION_SECRET=") || strings.HasPrefix(kv, "SESSION_JWT_KEY=")
}

// startApp runs program prog in transport tr's mode, with env added to a
// clean environment, on a free loopback port, waits until /health answers,
// and stops it (checking for a clean exit and that no secret reached the
// log) when the test ends.
func startApp(t *testing.T, prog string, tr transport, env ...string) *app {
	t.Helper()
	env = append(slices.Clone(tr.env), env...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	a := &app{
		prog:   prog,
		tr:     tr,
		base:   "http://" + addr,
		done:   make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	a.cmd = exec.Command(binary(prog))
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
			t.Fatalf("%s exited at startup (%v):\n%s", prog, a.err, a.logs())
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
			t.Fatalf("%s: /health did not answer 200 within 15s (last error: %v):\n%s", prog, err, a.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGINT and expects a graceful exit, then checks the log for
// the secrets in env and the cookies or tokens the program set.
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
		t.Errorf("%s did not stop within 15s of SIGINT", a.prog)
	}
	logs := a.logs()
	switch {
	case exitedEarly:
		if !t.Failed() { // startApp reports an exit at startup
			t.Errorf("%s exited before the test ended (%v):\n%s", a.prog, a.err, logs)
		}
	case a.err != nil:
		t.Errorf("%s exited with %v after SIGINT, want a clean exit:\n%s", a.prog, a.err, logs)
	case !strings.Contains(logs, "msg=stopped"):
		t.Errorf("%s did not log its graceful stop:\n%s", a.prog, logs)
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

// do sends a request carrying session token sess in the program's
// transport (none when sess is ""), and form, when not nil, as an
// urlencoded body.
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
// response must get right: no 5xx; a token set or cleared only with
// Cache-Control: no-store and a Vary naming the transport's header; in jwt
// mode no cookie at all, and a token readable cross-origin; in cookie mode
// no token header.
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
	toks := a.tr.tokens(r)
	for _, tok := range toks {
		if tok != "" {
			a.seen = append(a.seen, tok)
		}
	}
	if len(toks) > 0 {
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s %s: a token set or cleared with Cache-Control %q, want no-store", method, path, cc)
		}
		wantVary(t, r, a.tr)
	}
	if a.tr.jwt() {
		if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("%s %s: Set-Cookie %q in jwt mode, want no cookies at all", method, path, sc)
		}
		if len(toks) > 0 && toks[0] != "" {
			if eh := r.header.Get("Access-Control-Expose-Headers"); !strings.Contains(eh, tokenHeader) {
				t.Errorf("%s %s: a token with Access-Control-Expose-Headers %q, want %s", method, path, eh, tokenHeader)
			}
		}
	} else if toks := r.header.Values(tokenHeader); len(toks) > 0 {
		t.Errorf("%s %s: %s header in cookie mode", method, path, tokenHeader)
	}
	if r.status >= 500 && !a.storeDown {
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
	wantJSONType(t, r)
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

// wantJSONType checks that r's Content-Type is application/json, with
// no parameter or charset=utf-8 (gin's c.JSON sends one; RFC 8259 defines
// none, and JSON is UTF-8 either way).
func wantJSONType(t *testing.T, r response) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" || len(params) > 1 || (len(params) == 1 && !strings.EqualFold(params["charset"], "utf-8")) {
		t.Errorf("%s %s: Content-Type %q, want application/json", r.method, r.path, ct)
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

// wantVary checks that r's Vary names the header tr reads the session
// from, so that a shared cache keys the response by the session.
func wantVary(t *testing.T, r response, tr transport) {
	t.Helper()
	for _, v := range r.header.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), tr.vary()) {
				return
			}
		}
	}
	t.Errorf("%s %s: Vary %q, want it to name %s", r.method, r.path, r.header.Values("Vary"), tr.vary())
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
