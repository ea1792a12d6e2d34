package sessionsgin_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/core/sessionstest"
	sessionsgin "github.com/gosessions/sessions/gin"
)

// TestConformance holds the gin adapter to the conformance kit, in both
// transports.
func TestConformance(t *testing.T) {
	sessionstest.Run(t, sessionstest.Harness{Serve: serve})
}

// serve serves the kit's routes on a gin engine behind Middleware; the
// handlers answer with c.JSON, gin's own response path.
func serve(t testing.TB, st *sessions.Store, routes []sessionstest.Route) string {
	r := gin.New()
	r.Use(sessionsgin.Middleware(st, sessionsgin.Options{}))
	for _, rt := range routes {
		r.Handle(rt.Method, rt.Path, func(c *gin.Context) {
			c.Request.ParseForm()
			status, body := rt.Handle(sessionsgin.FromContext(c), c.Request.Form)
			if err, ok := body.(error); ok {
				c.Error(err) // gin's way to report a handler's error
				return
			}
			c.JSON(status, body)
		})
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// getValue returns key k of the session cookie names, through a fresh
// request on r.
func getValue(t *testing.T, r http.Handler, cookie *http.Cookie, k string) (string, bool) {
	t.Helper()
	resp := do(r, http.MethodGet, "/get?k="+k, cookie)
	var got struct {
		V     string
		Found bool
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("GET /get: %v", err)
	}
	return got.V, got.Found
}

// withGet adds GET /get (the value of key k) and POST /set (k=v) to r.
func withGet(r *gin.Engine) *gin.Engine {
	r.GET("/get", func(c *gin.Context) {
		v, ok, err := sessions.Get[string](sessionsgin.FromContext(c), c.Query("k"))
		c.JSON(http.StatusOK, gin.H{"v": v, "found": ok, "err": err != nil})
	})
	r.POST("/set", func(c *gin.Context) {
		sessionsgin.FromContext(c).Set(c.Query("k"), c.Query("v"))
		c.Status(http.StatusNoContent)
	})
	return r
}

// live makes a session holding k=v through r and returns its cookie.
func live(t *testing.T, r http.Handler, k, v string) *http.Cookie {
	t.Helper()
	c := sessionCookie(do(r, http.MethodPost, "/set?k="+k+"&v="+v))
	if c == nil {
		t.Fatal("POST /set: no session cookie")
	}
	return c
}

// TestWriteBeforeSession: a handler that writes its body before it
// touches the session. A live session takes the change when the chain
// returns; a session not in the store yet cannot start any more (no
// cookie could reach the client): Set says so and nothing is stored.
func TestWriteBeforeSession(t *testing.T) {
	st, client := rigStore(t)
	r := withGet(newEngine(st, sessionsgin.Options{}))
	var setErr error
	r.POST("/late", func(c *gin.Context) {
		c.String(http.StatusOK, "body first")
		setErr = sessionsgin.FromContext(c).Set("late", "yes")
	})

	resp := do(r, http.MethodPost, "/late")
	if resp.StatusCode != http.StatusOK || body(resp) != "body first" {
		t.Fatalf("POST /late without a session: status %d", resp.StatusCode)
	}
	if sessionCookie(resp) != nil {
		t.Error("POST /late without a session set a cookie after the body")
	}
	if ks := records(t, st, client); len(ks) != 0 {
		t.Errorf("POST /late without a session stored %d records, want 0", len(ks))
	}
	if !errors.Is(setErr, sessions.ErrCommitted) {
		t.Errorf("POST /late without a session: Set after the body: %v, want ErrCommitted", setErr)
	}

	cookie := live(t, r, "a", "1")
	resp = do(r, http.MethodPost, "/late", cookie)
	if resp.StatusCode != http.StatusOK || body(resp) != "body first" || setErr != nil {
		t.Fatalf("POST /late on a live session: status %d, Set: %v", resp.StatusCode, setErr)
	}
	if v, ok := getValue(t, r, cookie, "late"); !ok || v != "yes" {
		t.Errorf("after POST /late on a live session: late = %q, %v; want yes", v, ok)
	}
}

// TestAbortKeepsChanges: a handler's abort or error does not undo its
// session changes; the response it aborts with commits the session.
func TestAbortKeepsChanges(t *testing.T) {
	st, _ := rigStore(t)
	r := withGet(newEngine(st, sessionsgin.Options{}))
	never := func(c *gin.Context) { t.Error("a handler after the abort ran") }
	r.POST("/abort-json", func(c *gin.Context) {
		sessionsgin.FromContext(c).Set("k", "json")
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "no"})
	}, never)
	r.POST("/abort", func(c *gin.Context) {
		sessionsgin.FromContext(c).Set("k", "abort")
		c.Abort() // writes nothing: gin answers 200 after the chain
	}, never)
	r.POST("/abort-error", func(c *gin.Context) {
		sessionsgin.FromContext(c).Set("k", "error")
		c.AbortWithError(http.StatusUnauthorized, errors.New("denied"))
	}, never)

	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/abort-json", "json", http.StatusForbidden},
		{"/abort", "abort", http.StatusOK},
		{"/abort-error", "error", http.StatusUnauthorized},
	} {
		for _, name := range []string{"new", "live"} {
			var cookies []*http.Cookie
			if name == "live" {
				cookies = append(cookies, live(t, r, "k", "before"))
			}
			resp := do(r, http.MethodPost, tc.path, cookies...)
			if resp.StatusCode != tc.status {
				t.Errorf("POST %s (%s session): status %d, want %d", tc.path, name, resp.StatusCode, tc.status)
			}
			cookie := sessionCookie(resp)
			if name == "live" {
				if cookie != nil {
					t.Errorf("POST %s (live session): the cookie was reissued", tc.path)
				}
				cookie = cookies[0]
			} else if cookie == nil {
				t.Errorf("POST %s (new session): no session cookie", tc.path)
				continue
			}
			if v, _ := getValue(t, r, cookie, "k"); v != tc.want {
				t.Errorf("after POST %s (%s session): k = %q, want %q", tc.path, name, v, tc.want)
			}
		}
	}
}

// TestPanic: a handler that panics after changing its session saves
// nothing and sends no cookie; gin.Recovery answers 500 through the
// wrapped writer. A Renew the panic interrupted is undone: the old cookie
// still works.
func TestPanic(t *testing.T) {
	st, client := rigStore(t)
	r := withGet(newEngine(st, sessionsgin.Options{}))
	r.POST("/panic", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		s.Set("k", "half-done")
		if c.Query("renew") != "" {
			if err := s.Renew(); err != nil {
				t.Errorf("Renew: %v", err)
			}
		}
		panic("handler bug")
	})

	resp := do(r, http.MethodPost, "/panic")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("POST /panic: status %d, want 500", resp.StatusCode)
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("POST /panic: Set-Cookie %q, want none", resp.Header.Values("Set-Cookie"))
	}
	if ks := records(t, st, client); len(ks) != 0 {
		t.Errorf("POST /panic stored %d records, want 0", len(ks))
	}

	for _, target := range []string{"/panic", "/panic?renew=1"} {
		cookie := live(t, r, "k", "before")
		resp = do(r, http.MethodPost, target, cookie)
		if resp.StatusCode != http.StatusInternalServerError || sessionCookie(resp) != nil {
			t.Errorf("POST %s on a live session: status %d, cookie %v; want 500 and none",
				target, resp.StatusCode, sessionCookie(resp) != nil)
		}
		if v, ok := getValue(t, r, cookie, "k"); !ok || v != "before" {
			t.Errorf("after POST %s: k = %q, %v; want before", target, v, ok)
		}
	}
}

// TestStoreError: with the store down, a request that uses its session
// answers 503 with the core's JSON body, whether the failure shows at the
// handler's first write or when the chain returns, and the error is
// recorded with c.Error; the handler's own headers and body are dropped.
// An ErrorHandler of the app's own answers instead.
func TestStoreError(t *testing.T) {
	st, cookie := deadStore(t)
	var recorded []error
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		for _, e := range c.Errors {
			recorded = append(recorded, e.Err)
		}
	}, sessionsgin.Middleware(st, sessionsgin.Options{}))
	r.GET("/read-write", func(c *gin.Context) {
		sessions.Get[string](sessionsgin.FromContext(c), "k") // error ignored
		c.Header("Location", "/elsewhere")
		c.String(http.StatusOK, "handler body")
	})
	r.GET("/read-only", func(c *gin.Context) {
		sessions.Get[string](sessionsgin.FromContext(c), "k")
	})
	r.GET("/untouched", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	for _, path := range []string{"/read-write", "/read-only"} {
		recorded = nil
		resp := do(r, http.MethodGet, path, cookie)
		want := sessions.ErrorBody(sessions.ErrUnavailable)
		if b := body(resp) + "\n"; resp.StatusCode != http.StatusServiceUnavailable || b != want {
			t.Errorf("GET %s: status %d body %q, want 503 %q", path, resp.StatusCode, b, want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("GET %s: the handler's Location %q survived the error answer", path, loc)
		}
		if len(recorded) != 1 || !errors.Is(recorded[0], sessions.ErrUnavailable) {
			t.Errorf("GET %s: c.Errors = %v, want one ErrUnavailable", path, recorded)
		}
	}
	if resp := do(r, http.MethodGet, "/untouched", cookie); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /untouched with the store down: status %d, want 200", resp.StatusCode)
	}

	custom := newEngine(st, sessionsgin.Options{ErrorHandler: func(c *gin.Context, err error) {
		c.AbortWithStatusJSON(http.StatusTeapot, gin.H{"unavailable": errors.Is(err, sessions.ErrUnavailable)})
	}})
	custom.GET("/read-write", func(c *gin.Context) {
		sessions.Get[string](sessionsgin.FromContext(c), "k")
		c.String(http.StatusOK, "handler body")
	})
	resp := do(custom, http.MethodGet, "/read-write", cookie)
	if b := body(resp); resp.StatusCode != http.StatusTeapot || b != `{"unavailable":true}` {
		t.Errorf("GET /read-write with an ErrorHandler: status %d body %q, want 418 {\"unavailable\":true}", resp.StatusCode, b)
	}
}

// TestFromContextWithoutMiddleware: without the middleware there is no
// session, and its methods say so.
func TestFromContextWithoutMiddleware(t *testing.T) {
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		if s != nil {
			t.Error("FromContext without Middleware: not nil")
		}
		if err := s.Set("k", "v"); !errors.Is(err, sessions.ErrNoSession) {
			t.Errorf("Set on no session: %v, want ErrNoSession", err)
		}
	})
	do(r, http.MethodGet, "/")
}

// TestCoreFromContext: the core's sessions.FromContext finds the session
// in the request's context, the one handlers pass to their services, as
// on every framework; it is the session sessionsgin.FromContext returns.
func TestCoreFromContext(t *testing.T) {
	st, _ := rigStore(t)
	r := newEngine(st, sessionsgin.Options{})
	r.GET("/", func(c *gin.Context) {
		s := sessions.FromContext(c.Request.Context())
		if s == nil || s != sessionsgin.FromContext(c) {
			c.String(http.StatusInternalServerError, "sessions.FromContext(c.Request.Context()) = %p, sessionsgin.FromContext(c) = %p", s, sessionsgin.FromContext(c))
			return
		}
		if err := s.Set("k", "v"); err != nil {
			c.String(http.StatusInternalServerError, "Set: %v", err)
			return
		}
		c.String(http.StatusOK, "ok")
	})
	resp := do(r, http.MethodGet, "/")
	if b := body(resp); resp.StatusCode != http.StatusOK || sessionCookie(resp) == nil {
		t.Errorf("status %d, body %q, cookie %v; want 200 and a cookie", resp.StatusCode, b, sessionCookie(resp) != nil)
	}
}

// TestHandlerSessionError: a session error the handler records with
// c.Error (and answers nothing) is answered as a store failure is: status
// sessions.ErrorStatus, body sessions.ErrorBody, with the session's
// changes saved. Other errors are gin's: the middleware leaves them, and
// so does it a session error recorded after the handler answered.
func TestHandlerSessionError(t *testing.T) {
	st, _ := rigStore(t)
	r := withGet(newEngine(st, sessionsgin.Options{}))
	r.POST("/fail", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		s.Set("k", c.Query("v"))
		s.Set("n", "not a number")
		_, err := s.Incr("n", 1)
		switch c.Query("how") {
		case "plain":
			err = errors.New("app failure")
		case "answered":
			c.JSON(http.StatusOK, gin.H{"ok": false})
		}
		c.Error(err)
	})

	resp := do(r, http.MethodPost, "/fail?v=1")
	want := sessions.ErrorBody(sessions.ErrNotInteger)
	if b := body(resp) + "\n"; resp.StatusCode != http.StatusInternalServerError || b != want || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("session error: status %d, body %q, Content-Type %q; want 500 %q JSON", resp.StatusCode, b, resp.Header.Get("Content-Type"), want)
	}
	ck := sessionCookie(resp)
	if ck == nil {
		t.Fatal("session error: no cookie; the handler's changes must be saved")
	}
	if v, _ := getValue(t, r, ck, "k"); v != "1" {
		t.Errorf("session error: k = %q, want the change kept", v)
	}

	for _, how := range []string{"plain", "answered"} {
		resp = do(r, http.MethodPost, "/fail?v=2&how="+how, ck)
		if b := body(resp); resp.StatusCode != http.StatusOK || strings.Contains(b, "session error") {
			t.Errorf("%s: status %d, body %q; want gin's answer (200), not the session error's", how, resp.StatusCode, b)
		}
		if v, _ := getValue(t, r, ck, "k"); v != "2" {
			t.Errorf("%s: k = %q, want the change kept", how, v)
		}
	}
}

// TestPanicKeepsWrites: a handler that Incr's, Sets, then panics under
// gin.Recovery: the increment stays, the later Set is dropped, and when
// the Incr created the session its cookie goes out with the 500.
func TestPanicKeepsWrites(t *testing.T) {
	st, _ := rigStore(t)
	r := newEngine(st, sessionsgin.Options{})
	r.GET("/panic", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		s.Incr("n", 1)
		s.Set("later", "x")
		panic("handler bug")
	})
	r.GET("/read", func(c *gin.Context) {
		s := sessionsgin.FromContext(c)
		n, _ := s.Incr("n", 0)
		_, later, _ := sessions.Get[string](s, "later")
		c.JSON(http.StatusOK, gin.H{"n": n, "later": later})
	})
	resp := do(r, http.MethodGet, "/panic")
	ck := sessionCookie(resp)
	if resp.StatusCode != http.StatusInternalServerError || ck == nil {
		t.Fatalf("new session: status %d, cookie %v; want 500 with the cookie of the session Incr created", resp.StatusCode, ck != nil)
	}
	if b := body(do(r, http.MethodGet, "/read", ck)); b != `{"later":false,"n":1}` {
		t.Errorf("new session: %s; want n=1 and later dropped", b)
	}
	resp = do(r, http.MethodGet, "/panic", ck)
	if resp.StatusCode != http.StatusInternalServerError || sessionCookie(resp) != nil {
		t.Errorf("live session: status %d, cookie %v; want 500 and none", resp.StatusCode, sessionCookie(resp) != nil)
	}
	if b := body(do(r, http.MethodGet, "/read", ck)); b != `{"later":false,"n":2}` {
		t.Errorf("live session: %s; want n=2 and later dropped", b)
	}
}

// TestSecureCookieOnPlainHTTPWarns: the store warns once when the
// middleware sets a Secure cookie on a plain-http request to a host
// browsers do not treat as secure; not for localhost nor behind a proxy
// that says https.
func TestSecureCookieOnPlainHTTPWarns(t *testing.T) {
	var log lockedBuffer
	client, err := sessions.NewClient(rigURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{
		KeyPrefix: "sessionsgin:" + rand.Text()[:12] + ":", Logger: slog.New(slog.NewTextHandler(&log, nil)),
	}, sessions.CookieOptions{Secrets: [][]byte{secret}})
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(st, sessionsgin.Options{})
	r.GET("/", func(c *gin.Context) { sessionsgin.FromContext(c).Incr("n", 1) })
	serve := func(url string, header ...string) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if len(w.Result().Cookies()) != 1 {
			t.Fatalf("%s: %d cookies, want 1", url, len(w.Result().Cookies()))
		}
	}
	serve("http://localhost:8080/")
	serve("http://shop.lan:8080/", "X-Forwarded-Proto", "https")
	if n := strings.Count(log.String(), "DisableSecure"); n != 0 {
		t.Fatalf("%d warnings for secure contexts: %s", n, log.String())
	}
	serve("http://shop.lan:8080/")
	serve("http://shop.lan:8080/")
	if n := strings.Count(log.String(), "DisableSecure"); n != 1 || !strings.Contains(log.String(), "level=WARN") {
		t.Errorf("%d warnings for Secure cookies over plain http to shop.lan, want 1: %s", n, log.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
