package sessionsecho_test

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/core/sessionstest"
	sessionsecho "github.com/gosessions/sessions/echo"
)

// TestConformance holds the echo adapter to the conformance kit.
func TestConformance(t *testing.T) {
	sessionstest.Run(t, sessionstest.Harness{Serve: serve})
}

// serve serves routes on echo behind Middleware, on a loopback server.
func serve(t testing.TB, st *sessions.Store, routes []sessionstest.Route) string {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(sessionsecho.Middleware(st, sessionsecho.Options{}))
	for _, rt := range routes {
		e.Add(rt.Method, rt.Path, func(c echo.Context) error {
			form, err := c.FormParams() // query and form values merged
			if err != nil {
				return err
			}
			status, body := rt.Handle(sessionsecho.FromContext(c), form)
			if err, ok := body.(error); ok {
				return err
			}
			return c.JSON(status, body)
		})
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestFromContextWithoutMiddleware: nil, whose methods say ErrNoSession.
func TestFromContextWithoutMiddleware(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	s := sessionsecho.FromContext(c)
	if s != nil {
		t.Fatalf("FromContext = %v, want nil", s)
	}
	if err := s.Set("k", "v"); !errors.Is(err, sessions.ErrNoSession) {
		t.Errorf("Set on nil: %v, want ErrNoSession", err)
	}
}

// TestWriteThenChange: a change made after the body was written is saved
// for a live session; on a new session it cannot start the session (no
// cookie could follow), and the store's Logger reports it.
func TestWriteThenChange(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	var setErr error
	r.e.GET("/late", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "body first"); err != nil {
			return err
		}
		setErr = sessionsecho.FromContext(c).Set("late", "v")
		return nil
	})

	ck := r.seed()
	w := r.do(http.MethodGet, "/late", ck)
	if w.Code != http.StatusOK || w.Body.String() != "body first" || setErr != nil {
		t.Fatalf("live: status %d, body %q, Set: %v", w.Code, w.Body, setErr)
	}
	if v, ok := r.value(ck, "late"); !ok || v != "v" {
		t.Errorf("live: late change = %q, %v; want saved", v, ok)
	}
	if r.log.String() != "" {
		t.Errorf("live: logged %q", r.log)
	}

	n := len(r.keys())
	w = r.do(http.MethodGet, "/late", nil)
	if w.Code != http.StatusOK || w.Body.String() != "body first" {
		t.Fatalf("new: status %d, body %q", w.Code, w.Body)
	}
	// The change could never be saved: Set says so.
	if !errors.Is(setErr, sessions.ErrCommitted) {
		t.Errorf("new: Set = %v, want ErrCommitted", setErr)
	}
	if c := cookie(w); c != nil {
		t.Errorf("new: cookie %q set after the body", c.Name)
	}
	if got := len(r.keys()); got != n {
		t.Errorf("new: %d store keys, want %d: the late change started a session", got, n)
	}
	if l := r.log.String(); l != "" {
		t.Errorf("new: logged %q; Set reported the refusal already", l)
	}
}

// TestHandlerErrorKeepsChanges: a handler's error does not undo its
// session changes; echo's default HTTPErrorHandler renders the error and
// the response commits the session.
func TestHandlerErrorKeepsChanges(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	r.e.POST("/fail", func(c echo.Context) error {
		sessionsecho.FromContext(c).Set("k", c.QueryParam("v"))
		if c.QueryParam("plain") != "" {
			return errors.New("plain error")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "bad input")
	})

	w := r.do(http.MethodPost, "/fail?v=new", nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"bad input"`) {
		t.Fatalf("new session: status %d, body %q", w.Code, w.Body)
	}
	ck := cookie(w)
	if ck == nil {
		t.Fatal("new session: no cookie with the error response")
	}
	if v, ok := r.value(ck, "k"); v != "new" || !ok {
		t.Errorf("new session: k = %q, %v; want the change kept", v, ok)
	}

	w = r.do(http.MethodPost, "/fail?v=live&plain=1", ck)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("live session: status %d, body %q", w.Code, w.Body)
	}
	if v, _ := r.value(ck, "k"); v != "live" {
		t.Errorf("live session: k = %q, want the change kept", v)
	}
}

// TestRecover: a handler that panics under middleware.Recover saves
// nothing and sends no cookie; a Renew it made is undone (the old cookie
// still works).
func TestRecover(t *testing.T) {
	recoverMW := middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true})
	r := newRig(t, sessions.StoreOptions{}, []echo.MiddlewareFunc{recoverMW}, nil)
	r.e.POST("/panic", func(c echo.Context) error {
		s := sessionsecho.FromContext(c)
		if c.QueryParam("renew") != "" {
			if err := s.Renew(); err != nil {
				return err
			}
		}
		s.Set("k", "half-done")
		panic("handler bug")
	})

	w := r.do(http.MethodPost, "/panic", nil)
	if w.Code != http.StatusInternalServerError {
		t.Errorf("new: status %d, want 500 from Recover", w.Code)
	}
	if c := cookie(w); c != nil {
		t.Error("new: a cookie was sent after a panic")
	}
	if keys := r.keys(); len(keys) != 0 {
		t.Errorf("new: %d store keys after a panic, want 0", len(keys))
	}

	ck := r.seed()
	for _, path := range []string{"/panic", "/panic?renew=1"} {
		w = r.do(http.MethodPost, path, ck)
		if w.Code != http.StatusInternalServerError || cookie(w) != nil {
			t.Errorf("%s: status %d, cookie %v; want 500 and none", path, w.Code, cookie(w))
		}
		if _, ok := r.value(ck, "k"); ok {
			t.Errorf("%s: the half-done change was saved", path)
		}
		if v, _ := r.value(ck, "user"); v != "ada" {
			t.Errorf("%s: the old session reads user %q, want it alive", path, v)
		}
	}
}

// TestCommitFailure: a commit that fails as the handler writes turns the
// response into the error answer, whatever the handler had set, and echo
// logs the error status.
func TestCommitFailure(t *testing.T) {
	var status int
	logged := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			status = c.Response().Status
			return err
		}
	}
	for _, tc := range []struct {
		name         string
		outer, inner []echo.MiddlewareFunc
	}{
		{"plain", []echo.MiddlewareFunc{logged}, nil},
		{"gzip inside", []echo.MiddlewareFunc{logged}, []echo.MiddlewareFunc{middleware.Gzip()}},
		{"gzip outside", []echo.MiddlewareFunc{logged, middleware.Gzip()}, nil},
		{"swallowing writer inside", []echo.MiddlewareFunc{logged}, []echo.MiddlewareFunc{swallow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := downRig(t, sessionsecho.Options{}, tc.outer, tc.inner)
			r.e.GET("/write", func(c echo.Context) error {
				sessionsecho.FromContext(c).Set("k", "v")
				h := c.Response().Header()
				h.Set("ETag", `"abc"`)
				h.Set("Cache-Control", "public, max-age=60")
				return c.String(http.StatusOK, strings.Repeat("handler body ", 100))
			})
			w := r.do(http.MethodGet, "/write", nil, "Accept-Encoding", "gzip")
			body := w.Body.String()
			if w.Header().Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(zr)
				body = string(b)
			}
			want := sessions.ErrorBody(sessions.ErrUnavailable)
			if w.Code != http.StatusServiceUnavailable || body != want {
				t.Errorf("status %d, body %.80q; want 503 %q", w.Code, body, want)
			}
			h := w.Header()
			if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("ETag") != "" {
				t.Errorf("headers %v: want JSON, no-store and no ETag", h)
			}
			if cookie(w) != nil {
				t.Error("a cookie was set")
			}
			if status != http.StatusServiceUnavailable {
				t.Errorf("c.Response().Status = %d, want 503", status)
			}
		})
	}
}

// swallow is middleware whose writer passes nothing on (like a cache
// that answers on its own): the error answer must still be written.
func swallow(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		w := res.Writer
		res.Writer = swallowWriter{w.Header()}
		defer func() { res.Writer = w }()
		return next(c)
	}
}

type swallowWriter struct{ h http.Header }

func (w swallowWriter) Header() http.Header         { return w.h }
func (w swallowWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w swallowWriter) WriteHeader(int)             {}

// TestFinishFailure: a handler that returns without writing (nothing, or
// an error of its own) gets the commit's failure answered by the
// middleware, as every integration answers it: 503, the core's JSON body,
// no-store; the app's HTTPErrorHandler is not involved. Options.
// ErrorHandler replaces that.
func TestFinishFailure(t *testing.T) {
	handler := func(c echo.Context) error {
		sessionsecho.FromContext(c).Set("k", "v")
		if c.QueryParam("err") != "" {
			return echo.NewHTTPError(http.StatusBadRequest, "bad input")
		}
		return nil
	}
	r := downRig(t, sessionsecho.Options{}, nil, nil)
	var got error
	r.e.HTTPErrorHandler = func(err error, c echo.Context) {
		got = err
		r.e.DefaultHTTPErrorHandler(err, c)
	}
	r.e.GET("/quiet", handler)
	for _, path := range []string{"/quiet", "/quiet?err=1"} {
		got = nil
		w := r.do(http.MethodGet, path, nil)
		want := sessions.ErrorBody(sessions.ErrUnavailable)
		if w.Code != http.StatusServiceUnavailable || w.Body.String() != want || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: status %d, body %q, headers %v; want 503 %q, no-store", path, w.Code, w.Body, w.Header(), want)
		}
		if got != nil {
			t.Errorf("%s: HTTPErrorHandler got %v; the middleware answers", path, got)
		}
	}

	var handled error
	r = downRig(t, sessionsecho.Options{ErrorHandler: func(c echo.Context, err error) error {
		handled = err
		return c.String(http.StatusTeapot, "custom")
	}}, nil, nil)
	r.e.GET("/quiet", handler)
	w := r.do(http.MethodGet, "/quiet", nil)
	if w.Code != http.StatusTeapot || w.Body.String() != "custom" || !errors.Is(handled, sessions.ErrUnavailable) {
		t.Errorf("ErrorHandler: status %d, body %q, err %v", w.Code, w.Body, handled)
	}
}

// TestWrappedWriter: a middleware that wraps c.Response().Writer, inside
// or outside the sessions, still gets the cookie before the header.
func TestWrappedWriter(t *testing.T) {
	for _, tc := range []struct {
		name         string
		outer, inner []echo.MiddlewareFunc
	}{
		{"gzip inside", nil, []echo.MiddlewareFunc{middleware.Gzip()}},
		{"gzip outside", []echo.MiddlewareFunc{middleware.Gzip()}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, sessions.StoreOptions{}, tc.outer, tc.inner)
			r.e.GET("/big", func(c echo.Context) error {
				sessionsecho.FromContext(c).Set("k", "v")
				return c.String(http.StatusOK, strings.Repeat("x", 4096))
			})
			w := r.do(http.MethodGet, "/big", nil, "Accept-Encoding", "gzip")
			if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("status %d, Content-Encoding %q", w.Code, w.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(zr); len(b) != 4096 {
				t.Errorf("body: %d bytes, want 4096", len(b))
			}
			ck := cookie(w)
			if ck == nil {
				t.Fatal("no cookie")
			}
			if v, _ := r.value(ck, "k"); v != "v" {
				t.Errorf("k = %q, want v", v)
			}
		})
	}
}

// TestFlushFirst: a handler that flushes before writing (server-sent
// events) sends the cookie with that header, through echo's Response and
// through http.ResponseController, on a real server.
func TestFlushFirst(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	release := make(chan struct{})
	r.e.GET("/events", func(c echo.Context) error {
		sessionsecho.FromContext(c).Set("k", "v")
		c.Response().Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(c.Response())
		if c.QueryParam("echo") != "" {
			c.Response().Flush()
		} else if err := rc.Flush(); err != nil {
			return err
		}
		if err := rc.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return err // Unwrap reaches the server's writer
		}
		<-release // the client has the header: it came with the flush
		_, err := io.WriteString(c.Response(), "data: hello\n\n")
		return err
	})
	srv := httptest.NewServer(r.e)
	defer srv.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	for _, q := range []string{"", "?echo=1"} {
		resp, err := hc.Get(srv.URL + "/events" + q)
		if err != nil {
			t.Fatal(err)
		}
		var ck *http.Cookie
		for _, c := range resp.Cookies() {
			ck = c
		}
		release <- struct{}{}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != "data: hello\n\n" || ck == nil {
			t.Fatalf("%q: status %d, body %q, cookie %v", q, resp.StatusCode, b, ck)
		}
		if v, _ := r.value(ck, "k"); v != "v" {
			t.Errorf("%q: k = %q, want v", q, v)
		}
	}
}

// TestHijack: a handler that hijacks the connection (a websocket upgrade)
// commits the session first: the header map holds its cookie.
func TestHijack(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	r.e.GET("/upgrade", func(c echo.Context) error {
		sessionsecho.FromContext(c).Set("k", "v")
		conn, rw, err := http.NewResponseController(c.Response()).Hijack()
		if err != nil {
			return err
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 204 No Content\r\nSet-Cookie: " +
			c.Response().Header().Get("Set-Cookie") + "\r\n\r\n")
		return rw.Flush()
	})
	srv := httptest.NewServer(r.e)
	defer srv.Close()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(srv.URL + "/upgrade")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cks := resp.Cookies()
	if resp.StatusCode != http.StatusNoContent || len(cks) != 1 {
		t.Fatalf("status %d, cookies %d", resp.StatusCode, len(cks))
	}
	if v, _ := r.value(cks[0], "k"); v != "v" {
		t.Errorf("k = %q, want v", v)
	}
}

// TestCoreFromContext: the core's sessions.FromContext finds the session
// in the request's context, the one handlers pass to their services, as
// on every framework; it is the session sessionsecho.FromContext returns.
func TestCoreFromContext(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	r.e.GET("/core", func(c echo.Context) error {
		s := sessions.FromContext(c.Request().Context())
		if s == nil || s != sessionsecho.FromContext(c) {
			return c.String(http.StatusInternalServerError, "sessions.FromContext(c.Request().Context()) is not the session")
		}
		if err := s.Set("k", "v"); err != nil {
			return err
		}
		return c.String(http.StatusOK, "ok")
	})
	w := r.do(http.MethodGet, "/core", nil)
	if w.Code != http.StatusOK || cookie(w) == nil {
		t.Fatalf("status %d, body %q, cookie %v; want 200 and a cookie", w.Code, w.Body, cookie(w))
	}
	if v, _ := r.value(cookie(w), "k"); v != "v" {
		t.Errorf("k = %q, want v", v)
	}
}

// TestHandlerSessionError: a session error the handler returns before
// writing (even inside an *echo.HTTPError) is answered by the middleware
// as a store failure is: status sessions.ErrorStatus, body
// sessions.ErrorBody, no-store, the handler's headers dropped and its
// session changes saved. Other errors go to echo's HTTPErrorHandler; a
// session error returned after the response was written changes nothing.
func TestHandlerSessionError(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	var handled []error
	r.e.HTTPErrorHandler = func(err error, c echo.Context) {
		handled = append(handled, err)
		r.e.DefaultHTTPErrorHandler(err, c)
	}
	r.e.POST("/fail", func(c echo.Context) error {
		s := sessionsecho.FromContext(c)
		s.Set("k", c.QueryParam("v"))
		s.Set("n", "not a number")
		c.Response().Header().Set("ETag", `"abc"`)
		_, err := s.Incr("n", 1)
		switch c.QueryParam("how") {
		case "httperror":
			return echo.NewHTTPError(http.StatusBadRequest, "bad").SetInternal(err)
		case "plain":
			return errors.New("app failure")
		case "written":
			c.String(http.StatusOK, "answered")
		}
		return err
	})

	want := sessions.ErrorBody(sessions.ErrNotInteger)
	var ck *http.Cookie
	for i, how := range []string{"", "httperror"} {
		handled = nil
		w := r.do(http.MethodPost, "/fail?v="+how+"&how="+how, ck)
		if w.Code != http.StatusInternalServerError || w.Body.String() != want {
			t.Errorf("%q: status %d, body %q; want 500 %q", how, w.Code, w.Body, want)
		}
		h := w.Header()
		if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("ETag") != "" {
			t.Errorf("%q: headers %v; want JSON, no-store, no ETag", how, h)
		}
		if len(handled) != 0 {
			t.Errorf("%q: HTTPErrorHandler got %v; the middleware answers", how, handled)
		}
		if i == 0 {
			if ck = cookie(w); ck == nil {
				t.Fatal("no cookie: the handler's changes must be saved")
			}
		}
		if v, _ := r.value(ck, "k"); v != how {
			t.Errorf("%q: k = %q, want the change kept", how, v)
		}
	}

	handled = nil
	w := r.do(http.MethodPost, "/fail?v=plain&how=plain", ck)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "session error") || len(handled) != 1 {
		t.Errorf("plain error: status %d, body %q, HTTPErrorHandler got %v; want echo's 500", w.Code, w.Body, handled)
	}
	w = r.do(http.MethodPost, "/fail?v=written&how=written", ck)
	if w.Code != http.StatusOK || w.Body.String() != "answered" {
		t.Errorf("written: status %d, body %q; want the handler's answer", w.Code, w.Body)
	}
	if v, _ := r.value(ck, "k"); v != "written" {
		t.Errorf("written: k = %q, want the change kept", v)
	}
}

// TestPanicKeepsWrites: a handler that Incr's, Sets, then panics under
// middleware.Recover: the increment stays, the later Set is dropped, and
// when the Incr created the session its cookie goes out with the 500.
func TestPanicKeepsWrites(t *testing.T) {
	recoverMW := middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true})
	r := newRig(t, sessions.StoreOptions{}, []echo.MiddlewareFunc{recoverMW}, nil)
	r.e.POST("/panic", func(c echo.Context) error {
		s := sessionsecho.FromContext(c)
		s.Incr("n", 1)
		s.Set("later", "x")
		panic("handler bug")
	})
	w := r.do(http.MethodPost, "/panic", nil)
	ck := cookie(w)
	if w.Code != http.StatusInternalServerError || ck == nil {
		t.Fatalf("new session: status %d, cookie %v; want 500 with the cookie of the session Incr created", w.Code, ck)
	}
	var n int64
	var later bool
	r.e.GET("/read", func(c echo.Context) error {
		s := sessionsecho.FromContext(c)
		n, _ = s.Incr("n", 0)
		_, later, _ = sessions.Get[string](s, "later")
		return c.NoContent(http.StatusNoContent)
	})
	read := func() (int64, bool) {
		r.do(http.MethodGet, "/read", ck)
		return n, later
	}
	if n, later := read(); n != 1 || later {
		t.Errorf("new session: n = %d, later kept %v; want 1 and dropped", n, later)
	}
	w = r.do(http.MethodPost, "/panic", ck)
	if w.Code != http.StatusInternalServerError || cookie(w) != nil {
		t.Errorf("live session: status %d, cookie %v; want 500 and none", w.Code, cookie(w))
	}
	if n, later := read(); n != 2 || later {
		t.Errorf("live session: n = %d, later kept %v; want 2 and dropped", n, later)
	}
}

// TestSecureCookieOnPlainHTTPWarns: the store warns once when the
// middleware sets a Secure cookie on a plain-http request to a host
// browsers do not treat as secure; not for localhost nor behind a proxy
// that says https.
func TestSecureCookieOnPlainHTTPWarns(t *testing.T) {
	r := newRig(t, sessions.StoreOptions{}, nil, nil)
	r.e.GET("/incr", func(c echo.Context) error {
		_, err := sessionsecho.FromContext(c).Incr("n", 1)
		return err
	})
	serve := func(url string, hdr ...string) {
		if w := r.do(http.MethodGet, url, nil, hdr...); cookie(w) == nil {
			t.Fatalf("%s: status %d, no cookie", url, w.Code)
		}
	}
	serve("http://localhost:8080/incr")
	serve("http://shop.lan:8080/incr", "X-Forwarded-Proto", "https")
	if n := strings.Count(r.log.String(), "DisableSecure"); n != 0 {
		t.Fatalf("%d warnings for secure contexts: %s", n, r.log)
	}
	serve("http://shop.lan:8080/incr")
	serve("http://shop.lan:8080/incr")
	if n := strings.Count(r.log.String(), "DisableSecure"); n != 1 || !strings.Contains(r.log.String(), "level=WARN") {
		t.Errorf("%d warnings for Secure cookies over plain http to shop.lan, want 1: %s", n, r.log)
	}
}
