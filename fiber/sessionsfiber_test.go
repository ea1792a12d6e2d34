package sessionsfiber_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/core/sessionstest"
	sessionsfiber "github.com/gosessions/sessions/fiber"
)

// TestConformance holds the adapter to the conformance kit, in both
// transports.
func TestConformance(t *testing.T) {
	sessionstest.Run(t, sessionstest.Harness{Serve: serveKit})
}

// serveKit serves the kit's routes on a fiber app behind New, on a real
// loopback listener, with fiber's defaults but for ReadBufferSize: the
// kit sends 8 KB tokens, which fasthttp's 4 KB default answers with 431.
func serveKit(t testing.TB, st *sessions.Store, routes []sessionstest.Route) string {
	app := newApp()
	app.Use(sessionsfiber.New(st, sessionsfiber.Config{}))
	for _, rt := range routes {
		app.Add(rt.Method, rt.Path, func(c *fiber.Ctx) error {
			status, body := rt.Handle(sessionsfiber.FromContext(c), formValues(c))
			if err, ok := body.(error); ok {
				return err
			}
			return c.Status(status).JSON(body)
		})
	}
	return listen(t, app)
}

// newApp returns a fiber app with the default config but for
// ReadBufferSize (and quiet).
func newApp() *fiber.App {
	return fiber.New(fiber.Config{ReadBufferSize: 16 << 10, DisableStartupMessage: true})
}

// listen serves app on a 127.0.0.1 listener until t ends and returns its
// base URL.
func listen(t testing.TB, app *fiber.App) string {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &connsListener{Listener: inner}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		// fasthttp's Shutdown waits 5 seconds for a connection that
		// never sent a request (net/http's client dials spares under
		// load); the test is over, so close every connection first.
		ln.closeConns()
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("fiber shutdown: %v", err)
		}
		<-served
	})
	return "http://" + inner.Addr().String()
}

// connsListener is a listener that closes the connections it accepted on
// request.
type connsListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *connsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *connsListener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// formValues merges the request's form body and query, as net/http's
// Request.Form does (body values first), copying fasthttp's bytes.
func formValues(c *fiber.Ctx) url.Values {
	form := url.Values{}
	add := func(k, v []byte) { form.Add(string(k), string(v)) }
	// VisitAll: fasthttp v1.51, which fiber v2 requires, has no All iterator.
	c.Request().PostArgs().VisitAll(add)        //nolint:staticcheck // SA1019: see above
	c.Request().URI().QueryArgs().VisitAll(add) //nolint:staticcheck // SA1019: see above
	return form
}

// testClient returns a client of the rig's server (REDICT_URL). Without
// one the test is skipped, unless SESSIONS_REQUIRE_STORE is set.
func testClient(t testing.TB) sessions.Client {
	t.Helper()
	u := os.Getenv("REDICT_URL")
	if u == "" {
		if os.Getenv("SESSIONS_REQUIRE_STORE") != "" {
			t.Fatal("REDICT_URL is not set; run scripts/test.sh")
		}
		t.Skip("REDICT_URL is not set; run scripts/test.sh")
	}
	client, err := sessions.NewClient(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// rig is a cookie store on the rig's server, under a key prefix of its
// own, with a client to look at its keys.
type rig struct {
	st     *sessions.Store
	client sessions.Client
	prefix string
}

func newRig(t testing.TB, co sessions.CookieOptions) *rig {
	t.Helper()
	client := testClient(t)
	r := &rig{client: client, prefix: "fibertest:" + rand.Text()[:12] + ":"}
	if co.Secrets == nil {
		co.Secrets = [][]byte{testSecret}
	}
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: r.prefix}, co)
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	t.Cleanup(func() {
		if keys := r.keys(t); len(keys) > 0 {
			client.Del(context.Background(), keys...)
		}
	})
	return r
}

// keys returns the store keys under the rig's prefix.
func (r *rig) keys(t testing.TB) []string {
	t.Helper()
	keys, err := r.client.Keys(context.Background(), r.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// do sends one request with the cookies and returns the response, its
// body read.
func do(t testing.TB, method, url string, cookies []*http.Cookie, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// sessionCookie returns the response's session cookie, failing t without.
func sessionCookie(t testing.TB, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, ck := range resp.Cookies() {
		if ck.Name == sessions.DefaultCookieName {
			return ck
		}
	}
	t.Fatalf("status %d: no %s cookie", resp.StatusCode, sessions.DefaultCookieName)
	return nil
}

// plainCookies are the cookie options of the tests that speak plain http.
var plainCookies = sessions.CookieOptions{DisableSecure: true}

// sessionApp serves a few routes for r's store behind New with cfg:
// /set?v= sets "v", /get replies it, and extra mounts more routes.
func sessionApp(t testing.TB, r *rig, cfg sessionsfiber.Config, extra func(app fiber.Router)) string {
	app := newApp()
	app.Use(recover.New())
	app.Use(sessionsfiber.New(r.st, cfg))
	app.Get("/set", func(c *fiber.Ctx) error {
		if err := sessionsfiber.FromContext(c).Set("v", c.Query("v")); err != nil {
			return err
		}
		return c.SendString("ok")
	})
	app.Get("/get", func(c *fiber.Ctx) error {
		v, _, err := sessions.Get[string](sessionsfiber.FromContext(c), "v")
		if err != nil {
			return err
		}
		return c.SendString("v=" + v)
	})
	if extra != nil {
		extra(app)
	}
	return listen(t, app)
}

// wantValue fails t unless /get with ck answers v=want.
func wantValue(t testing.TB, base string, ck *http.Cookie, want string) {
	t.Helper()
	resp, body := do(t, http.MethodGet, base+"/get", []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusOK || body != "v="+want {
		t.Errorf("GET /get: status %d, body %q; want v=%s", resp.StatusCode, body, want)
	}
}

// TestSetCookieLine: the Set-Cookie line is the one net/http writes for
// the cookie, byte for byte, with every attribute the options ask for,
// and Max-Age=0 when the cookie is cleared.
func TestSetCookieLine(t *testing.T) {
	r := newRig(t, sessions.CookieOptions{
		Path: "/app", Domain: "example.com", Partitioned: true, // Secure by default
	})
	base := sessionApp(t, r, sessionsfiber.Config{}, func(app fiber.Router) {
		app.Get("/app/set", func(c *fiber.Ctx) error {
			return sessionsfiber.FromContext(c).Set("v", "1")
		})
		app.Get("/app/destroy", func(c *fiber.Ctx) error {
			return sessionsfiber.FromContext(c).Destroy()
		})
	})
	line := func(resp *http.Response) (string, *http.Cookie) {
		t.Helper()
		lines := resp.Header.Values("Set-Cookie")
		if len(lines) != 1 {
			t.Fatalf("status %d: %d Set-Cookie lines, want 1", resp.StatusCode, len(lines))
		}
		ck, err := http.ParseSetCookie(lines[0])
		if err != nil {
			t.Fatalf("Set-Cookie does not parse: %v", err)
		}
		if got := ck.String(); got != lines[0] {
			t.Errorf("Set-Cookie line\n %q\nis not net/http's for its cookie:\n %q", lines[0], got)
		}
		return lines[0], ck
	}

	resp, _ := do(t, http.MethodGet, base+"/app/set", nil, nil)
	raw, ck := line(resp)
	if !ck.HttpOnly || !ck.Secure || !ck.Partitioned || ck.SameSite != http.SameSiteLaxMode ||
		ck.Path != "/app" || ck.Domain != "example.com" || ck.MaxAge <= 0 {
		t.Errorf("Set-Cookie lacks an attribute: %+v", ck)
	}
	for _, attr := range []string{"; Max-Age=", "; HttpOnly", "; Secure", "; SameSite=Lax", "; Partitioned", "; Path=/app", "; Domain=example.com"} {
		if !strings.Contains(raw, attr) {
			t.Errorf("Set-Cookie lacks %q", attr)
		}
	}

	resp, _ = do(t, http.MethodGet, base+"/app/destroy", []*http.Cookie{{Name: ck.Name, Value: ck.Value}}, nil)
	raw, ck = line(resp)
	if !strings.Contains(raw, "; Max-Age=0") || ck.Value != "" || ck.Path != "/app" {
		t.Errorf("Set-Cookie of a Destroy does not clear the cookie on /app: %+v", ck)
	}
}

// TestSeveralCookieHeaders: of several session cookies spread over
// several Cookie header lines, the valid one wins wherever it is.
func TestSeveralCookieHeaders(t *testing.T) {
	r := newRig(t, plainCookies)
	base := sessionApp(t, r, sessionsfiber.Config{}, nil)
	resp, _ := do(t, http.MethodGet, base+"/set?v=1", nil, nil)
	valid := sessionCookie(t, resp).Value
	name := sessions.DefaultCookieName
	for _, lines := range [][]string{
		{name + "=garbage", "a=1; " + name + "=" + valid},
		{name + "=" + valid, name + "=garbage"},
		{"a=1", name + "=; b=2; " + name + "=x", name + "=" + valid + "; c=3"},
		{name + "=x; " + name + "=" + valid + "; " + name + "=y"},
	} {
		resp, body := do(t, http.MethodGet, base+"/get", nil, http.Header{"Cookie": lines})
		if resp.StatusCode != http.StatusOK || body != "v=1" {
			t.Errorf("Cookie lines %d (valid among %d cookies): status %d, body %q; want v=1",
				len(lines), strings.Count(strings.Join(lines, ";"), name+"="), resp.StatusCode, body)
		}
	}
}

// TestHandlerErrorCommits: a handler that returns an error after changing
// the session keeps the change; the app's error response carries the
// cookie.
func TestHandlerErrorCommits(t *testing.T) {
	r := newRig(t, plainCookies)
	base := sessionApp(t, r, sessionsfiber.Config{}, func(app fiber.Router) {
		app.Get("/set-then-fail", func(c *fiber.Ctx) error {
			if err := sessionsfiber.FromContext(c).Set("v", c.Query("v")); err != nil {
				return err
			}
			return fiber.NewError(fiber.StatusTeapot, "no tea")
		})
	})
	resp, body := do(t, http.MethodGet, base+"/set-then-fail?v=new", nil, nil)
	if resp.StatusCode != fiber.StatusTeapot || body != "no tea" {
		t.Fatalf("GET /set-then-fail: status %d, body %q; want the app's 418", resp.StatusCode, body)
	}
	ck := sessionCookie(t, resp)
	wantValue(t, base, ck, "new")

	// On a live session too.
	resp, _ = do(t, http.MethodGet, base+"/set-then-fail?v=newer", []*http.Cookie{ck}, nil)
	if resp.StatusCode != fiber.StatusTeapot {
		t.Fatalf("GET /set-then-fail: status %d, want 418", resp.StatusCode)
	}
	wantValue(t, base, ck, "newer")
}

// TestPanicDiscards: a handler that panics, caught by fiber's recover
// middleware mounted first, saves nothing and sends no cookie, and a
// Renew it made is undone.
func TestPanicDiscards(t *testing.T) {
	r := newRig(t, plainCookies)
	base := sessionApp(t, r, sessionsfiber.Config{}, func(app fiber.Router) {
		app.Get("/set-then-panic", func(c *fiber.Ctx) error {
			s := sessionsfiber.FromContext(c)
			if _, _, err := sessions.Get[string](s, "v"); err != nil {
				return err
			}
			s.Set("v", "half-done")
			panic("handler bug")
		})
		app.Get("/renew-then-panic", func(c *fiber.Ctx) error {
			if err := sessionsfiber.FromContext(c).Renew(); err != nil {
				return err
			}
			panic("handler bug after a login")
		})
	})
	resp, _ := do(t, http.MethodGet, base+"/set-then-panic", nil, nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("GET /set-then-panic: status %d, want recover's 500", resp.StatusCode)
	}
	if lines := resp.Header.Values("Set-Cookie"); len(lines) != 0 {
		t.Errorf("GET /set-then-panic without a session: %d Set-Cookie lines, want none", len(lines))
	}
	if keys := r.keys(t); len(keys) != 0 {
		t.Errorf("GET /set-then-panic without a session: %d store keys, want none", len(keys))
	}

	resp, _ = do(t, http.MethodGet, base+"/set?v=1", nil, nil)
	ck := sessionCookie(t, resp)
	resp, _ = do(t, http.MethodGet, base+"/set-then-panic", []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /set-then-panic with a session: status %d, Set-Cookie %d lines; want 500, none",
			resp.StatusCode, len(resp.Header.Values("Set-Cookie")))
	}
	wantValue(t, base, ck, "1")

	// Renew took the old record; the discard puts it back rather than
	// logging the user out.
	resp, _ = do(t, http.MethodGet, base+"/renew-then-panic", []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /renew-then-panic: status %d, Set-Cookie %d lines; want 500, none",
			resp.StatusCode, len(resp.Header.Values("Set-Cookie")))
	}
	wantValue(t, base, ck, "1")
}

// TestStreamedBody: a handler that sets the session, then streams its
// body, sends the cookie and saves the data.
func TestStreamedBody(t *testing.T) {
	r := newRig(t, plainCookies)
	base := sessionApp(t, r, sessionsfiber.Config{}, func(app fiber.Router) {
		app.Get("/stream", func(c *fiber.Ctx) error {
			if err := sessionsfiber.FromContext(c).Set("v", "streamed"); err != nil {
				return err
			}
			c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
				for i := range 3 {
					fmt.Fprintf(w, "chunk %d\n", i)
					w.Flush()
				}
			})
			return nil
		})
	})
	resp, body := do(t, http.MethodGet, base+"/stream", nil, nil)
	if resp.StatusCode != http.StatusOK || body != "chunk 0\nchunk 1\nchunk 2\n" {
		t.Fatalf("GET /stream: status %d, body %q", resp.StatusCode, body)
	}
	wantValue(t, base, sessionCookie(t, resp), "streamed")
}

// deadStore returns a cookie store whose server is gone (a closed
// loopback port): every store call fails with ErrUnavailable, fast.
func deadStore(t testing.TB) *rig {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, err := sessions.NewClient("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{Timeout: time.Second},
		sessions.CookieOptions{Secrets: [][]byte{testSecret}, DisableSecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{st: st, client: client}
}

// handlerResponse is a route's response that a store failure replaces.
func handlerResponse(app fiber.Router) {
	app.Get("/set-html", func(c *fiber.Ctx) error {
		sessionsfiber.FromContext(c).Set("v", "1") // the error comes at the commit
		c.Set(fiber.HeaderETag, `"v1"`)
		c.Set(fiber.HeaderCacheControl, "public, max-age=600")
		c.Set("X-App", "kept")
		c.Type("html")
		return c.SendString("<p>the handler's page</p>")
	})
}

// TestStoreErrorDefault: by default a store failure answers 503 with
// sessions.ErrorBody in place of the handler's response.
func TestStoreErrorDefault(t *testing.T) {
	base := sessionApp(t, deadStore(t), sessionsfiber.Config{}, handlerResponse)
	resp, body := do(t, http.MethodGet, base+"/set-html", nil, nil)
	unavailable := fmt.Errorf("%w: down", sessions.ErrUnavailable)
	if resp.StatusCode != http.StatusServiceUnavailable || body != sessions.ErrorBody(unavailable) {
		t.Errorf("status %d, body %q; want 503, %q", resp.StatusCode, body, sessions.ErrorBody(unavailable))
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "Etag": "", "X-App": "kept",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Error("a failed commit sets a cookie")
	}
}

// TestStoreErrorToApp: with ReturnFiberError the app's fiber
// ErrorHandler answers, with a *fiber.Error; with an ErrorHandler of the
// app's own, the error wraps sessions.ErrUnavailable.
func TestStoreErrorToApp(t *testing.T) {
	r := deadStore(t)
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			var fe *fiber.Error
			if !errors.As(err, &fe) {
				return c.Status(599).SendString("not a *fiber.Error")
			}
			return c.Status(fe.Code).JSON(fiber.Map{"app": fe.Message})
		},
	})
	app.Use("/fiber", sessionsfiber.New(r.st, sessionsfiber.Config{ErrorHandler: sessionsfiber.ReturnFiberError}))
	app.Use("/own", sessionsfiber.New(r.st, sessionsfiber.Config{
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return c.Status(502).SendString(fmt.Sprint("unavailable: ", errors.Is(err, sessions.ErrUnavailable)))
		},
	}))
	app.Route("/fiber", handlerResponse)
	app.Route("/own", handlerResponse)
	base := listen(t, app)

	resp, body := do(t, http.MethodGet, base+"/fiber/set-html", nil, nil)
	var got map[string]string
	json.Unmarshal([]byte(body), &got)
	if resp.StatusCode != http.StatusServiceUnavailable || got["app"] != "session store unavailable" {
		t.Errorf("ReturnFiberError: status %d, body %q; want 503 from the app's handler", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || resp.Header.Get("Etag") != "" {
		t.Errorf("ReturnFiberError: the handler's headers stayed: Content-Type %q, Etag %q", ct, resp.Header.Get("Etag"))
	}

	resp, body = do(t, http.MethodGet, base+"/own/set-html", nil, nil)
	if resp.StatusCode != http.StatusBadGateway || body != "unavailable: true" {
		t.Errorf("own ErrorHandler: status %d, body %q; want 502, unavailable: true", resp.StatusCode, body)
	}
}

// TestFromContext: handlers find the session in c.Locals and in the user
// context; outside the middleware there is none.
func TestFromContext(t *testing.T) {
	r := newRig(t, plainCookies)
	app := newApp()
	app.Get("/outside", func(c *fiber.Ctx) error {
		s := sessionsfiber.FromContext(c)
		return c.SendString(fmt.Sprint(s == nil, errors.Is(s.Set("v", "1"), sessions.ErrNoSession)))
	})
	app.Use(sessionsfiber.New(r.st))
	app.Get("/inside", func(c *fiber.Ctx) error {
		s := sessionsfiber.FromContext(c)
		return c.SendString(fmt.Sprint(s != nil, s == sessions.FromContext(c.UserContext())))
	})
	base := listen(t, app)
	if _, body := do(t, http.MethodGet, base+"/outside", nil, nil); body != "true true" {
		t.Errorf("outside the middleware: %q, want a nil session (ErrNoSession)", body)
	}
	if _, body := do(t, http.MethodGet, base+"/inside", nil, nil); body != "true true" {
		t.Errorf("inside the middleware: %q, want the same session in Locals and the user context", body)
	}
}

// TestHandlerSessionError: a session error the handler returns (even
// inside a *fiber.Error's chain) is answered by the middleware as a
// store failure is: status sessions.ErrorStatus, body
// sessions.ErrorBody, JSON, no-store, the handler's body and headers
// dropped and its session changes saved. With ReturnFiberError the app's
// ErrorHandler answers it; other errors go to fiber's ErrorHandler.
func TestHandlerSessionError(t *testing.T) {
	r := newRig(t, plainCookies)
	fail := func(app fiber.Router) {
		app.Get("/fail", func(c *fiber.Ctx) error {
			s := sessionsfiber.FromContext(c)
			s.Set("v", c.Query("v"))
			s.Set("n", "not a number")
			c.Set(fiber.HeaderETag, `"abc"`)
			c.SendString("half an answer")
			_, err := s.Incr("n", 1)
			if c.Query("plain") != "" {
				return errors.New("app failure")
			}
			return fmt.Errorf("shop: %w", err)
		})
	}
	base := sessionApp(t, r, sessionsfiber.Config{}, fail)
	resp, body := do(t, http.MethodGet, base+"/fail?v=1", nil, nil)
	want := sessions.ErrorBody(sessions.ErrNotInteger)
	if resp.StatusCode != http.StatusInternalServerError || body != want {
		t.Errorf("session error: status %d, body %q; want 500 %q", resp.StatusCode, body, want)
	}
	if h := resp.Header; h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("Etag") != "" {
		t.Errorf("session error: headers %v; want JSON, no-store, no ETag", h)
	}
	ck := sessionCookie(t, resp)
	wantValue(t, base, ck, "1")

	resp, body = do(t, http.MethodGet, base+"/fail?v=2&plain=1", []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusInternalServerError || body != "app failure" {
		t.Errorf("plain error: status %d, body %q; want fiber's own 500", resp.StatusCode, body)
	}
	wantValue(t, base, ck, "2")

	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return c.Status(599).SendString(fmt.Sprintf("app: %T", err))
		},
	})
	app.Use(sessionsfiber.New(r.st, sessionsfiber.Config{ErrorHandler: sessionsfiber.ReturnFiberError}))
	fail(app)
	resp, body = do(t, http.MethodGet, listen(t, app)+"/fail?v=3", []*http.Cookie{ck}, nil)
	if resp.StatusCode != 599 || body != "app: *fiber.Error" {
		t.Errorf("ReturnFiberError: status %d, body %q; want the app's answer to a *fiber.Error", resp.StatusCode, body)
	}
	wantValue(t, base, ck, "3")
}

// TestPanicKeepsWrites: a handler that Incr's, Sets, then panics under
// fiber's recover: the increment stays, the later Set is dropped, and
// when the Incr created the session its cookie goes out with the 500.
func TestPanicKeepsWrites(t *testing.T) {
	r := newRig(t, plainCookies)
	base := sessionApp(t, r, sessionsfiber.Config{}, func(app fiber.Router) {
		app.Get("/panic", func(c *fiber.Ctx) error {
			s := sessionsfiber.FromContext(c)
			s.Incr("n", 1)
			s.Set("later", "x")
			panic("handler bug")
		})
		app.Get("/read", func(c *fiber.Ctx) error {
			s := sessionsfiber.FromContext(c)
			n, _ := s.Incr("n", 0)
			_, later, _ := sessions.Get[string](s, "later")
			return c.SendString(fmt.Sprint(n, later))
		})
	})
	resp, _ := do(t, http.MethodGet, base+"/panic", nil, nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("new session: status %d, want recover's 500", resp.StatusCode)
	}
	ck := sessionCookie(t, resp)
	if _, body := do(t, http.MethodGet, base+"/read", []*http.Cookie{ck}, nil); body != "1 false" {
		t.Errorf("new session: n, later = %s; want 1 and dropped", body)
	}
	resp, _ = do(t, http.MethodGet, base+"/panic", []*http.Cookie{ck}, nil)
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("live session: status %d, %d Set-Cookie lines; want 500 and none", resp.StatusCode, len(resp.Header.Values("Set-Cookie")))
	}
	if _, body := do(t, http.MethodGet, base+"/read", []*http.Cookie{ck}, nil); body != "2 false" {
		t.Errorf("live session: n, later = %s; want 2 and dropped", body)
	}
}

// TestSecureCookieOnPlainHTTPWarns: the store warns once when the
// middleware sets a Secure cookie on a plain-http request to a host
// browsers do not treat as secure; not for localhost nor behind a proxy
// that says https (X-Forwarded-Proto's first value, as
// sessions.RequestOrigin reads it).
func TestSecureCookieOnPlainHTTPWarns(t *testing.T) {
	var log logBuffer
	st, err := sessions.NewCookieStore(testClient(t), sessions.StoreOptions{
		KeyPrefix: "fibertest:" + rand.Text()[:12] + ":", Logger: slog.New(slog.NewTextHandler(&log, nil)),
	}, sessions.CookieOptions{Secrets: [][]byte{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	app := newApp()
	app.Use(sessionsfiber.New(st))
	app.Get("/", func(c *fiber.Ctx) error {
		_, err := sessionsfiber.FromContext(c).Incr("n", 1)
		return err
	})
	serve := func(url string, header ...string) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Cookies()) != 1 {
			t.Fatalf("%s: status %d, %d cookies, want 1", url, resp.StatusCode, len(resp.Cookies()))
		}
	}
	serve("http://localhost:8080/")
	serve("http://shop.lan:8080/", "X-Forwarded-Proto", "https, http")
	if n := strings.Count(log.String(), "DisableSecure"); n != 0 {
		t.Fatalf("%d warnings for secure contexts: %s", n, log.String())
	}
	serve("http://shop.lan:8080/", "X-Forwarded-Proto", "http, https")
	serve("http://shop.lan:8080/")
	if n := strings.Count(log.String(), "DisableSecure"); n != 1 || !strings.Contains(log.String(), "host=shop.lan:8080") {
		t.Errorf("%d warnings for Secure cookies over plain http to shop.lan, want 1 naming it: %s", n, log.String())
	}
}

// logBuffer collects log lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
