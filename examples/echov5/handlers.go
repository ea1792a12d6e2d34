package main

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	sessions "github.com/gosessions/sessions/core"
	sessionsecho "github.com/gosessions/sessions/echov5"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// newEcho returns the app: the demo contract's endpoints behind the
// sessionsecho middleware, behind net/http's cross-origin protection
// (which refuses cross-origin POSTs from browsers; in cookie mode the
// session cookie's SameSite=Lax is the second line, while in jwt mode no
// credential rides along by itself), behind echo's Recover, which is
// outside the sessions so that a panic saves nothing. jwt says the store
// is a JWT store: GET / is then the static page whose script carries the
// token. echo logs to log.
//
// Every route sits behind the middleware, /health too: the session is
// loaded lazily, so a handler that never touches it costs no store command
// and sets no cookie or token.
func newEcho(store *sessions.Store, jwt bool, log *slog.Logger) *echo.Echo {
	e := echo.NewWithConfig(echo.Config{
		Logger:           log,
		HTTPErrorHandler: errorHandler(log),
		Renderer:         &echo.TemplateRenderer{Template: demo.PageTemplate},
	})
	e.Use(middleware.Recover())
	e.Use(crossOrigin(http.NewCrossOriginProtection()))
	e.Use(sessionsecho.Middleware(store, sessionsecho.Options{ErrorHandler: returnError}))

	e.GET("/health", health)
	if jwt {
		e.GET("/", static)
	} else {
		e.GET("/", page(store))
	}
	api := e.Group("/api")
	api.GET("/count", count)
	api.GET("/read", read)
	api.POST("/login", login)
	api.GET("/me", me)
	api.POST("/logout", logout)
	api.POST("/logout-all", logoutAll(store))
	api.GET("/sessions", listSessions(store))
	api.POST("/sessions/revoke", revokeSession(store))
	api.POST("/kv", setKV)
	api.GET("/kv", getKV)
	return e
}

func health(c *echo.Context) error {
	return c.JSON(http.StatusOK, demo.Health{Status: "ok"})
}

// count increments the session's counter; the increment runs inside the
// store, so concurrent requests never lose one. A session error is
// returned as it is: errorHandler answers it (503 when the store is down).
func count(c *echo.Context) error {
	n, err := sessionsecho.FromContext(c).Incr("count", 1)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, demo.Count{Count: n})
}

// read reports the counter without writing anything: a client without a
// session gets 0 and no cookie or token.
func read(c *echo.Context) error {
	n, _, err := sessions.Get[int64](sessionsecho.FromContext(c), "count")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, demo.Count{Count: n})
}

// login renews the session id before storing the user, so that an id
// planted before login (session fixation) is dead after it, and binds the
// session to the user (labelled with the browser's User-Agent, which the
// core cuts to sessions.MaxLabelLen), which lists it in the user's
// sessions (GET /api/sessions) and ends it with the others at
// logout-all. The binding is written with the renewed record.
func login(c *echo.Context) error {
	// The form body only, never the query string (c.Bind and
	// c.FormValue read both).
	user := c.Request().PostFormValue("user")
	if user == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "form field user is required")
	}
	s := sessionsecho.FromContext(c)
	if err := s.Renew(); err != nil {
		return err
	}
	if err := s.Set("user", user); err != nil {
		return err
	}
	if err := s.BindUser(user, c.Request().UserAgent()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, demo.User{User: user})
}

// me answers the session's user: the user it is bound to, which only a
// login sets (a "user" key written through /api/kv is just data).
func me(c *echo.Context) error {
	name, err := user(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, demo.User{User: name})
}

// user returns the user the request's session is bound to, or an error:
// 401 without one, or the session error.
func user(c *echo.Context) (string, error) {
	name, err := sessionsecho.FromContext(c).BoundUser()
	if err == nil && name == "" {
		err = echo.NewHTTPError(http.StatusUnauthorized, "not logged in")
	}
	return name, err
}

// logout deletes the session from the store; the middleware then clears
// the cookie, or in jwt mode sends an empty Session-Token header.
func logout(c *echo.Context) error {
	if err := sessionsecho.FromContext(c).Destroy(); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// logoutAll ends every session of the user: the others through the
// store's per-user index, then this one with Destroy, so that this
// response clears the cookie or token.
func logoutAll(store *sessions.Store) echo.HandlerFunc {
	return func(c *echo.Context) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		s := sessionsecho.FromContext(c)
		n, err := store.DestroyUserSessions(c.Request().Context(), user, s)
		if err != nil {
			return err
		}
		if err := s.Destroy(); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, demo.Destroyed{Destroyed: n + 1})
	}
}

// listSessions lists the user's live sessions, marking this one; their
// handles name them for revokeSession and are no credential.
func listSessions(store *sessions.Store) echo.HandlerFunc {
	return func(c *echo.Context) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		list, err := store.ListSessions(c.Request().Context(), user, sessionsecho.FromContext(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, demo.SessionList(list))
	}
}

// revokeSession ends the user's session named by the handle parameter,
// wherever it is in use. Revoking this session is logging out: Destroy
// also clears its cookie or token.
func revokeSession(store *sessions.Store) echo.HandlerFunc {
	return func(c *echo.Context) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		handle := c.FormValue("handle")
		if handle == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "parameter handle is required")
		}
		s := sessionsecho.FromContext(c)
		n, err := store.RevokeSession(c.Request().Context(), user, handle, s)
		if err != nil {
			return err
		}
		if n == 0 {
			return echo.NewHTTPError(http.StatusNotFound, "no such session")
		}
		return c.JSON(http.StatusOK, demo.Destroyed{Destroyed: n})
	}
}

// setKV sets session key k to v; both come from the query or the form.
func setKV(c *echo.Context) error {
	k, v := c.FormValue("k"), c.FormValue("v")
	if k == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "parameter k is required")
	}
	if err := sessionsecho.FromContext(c).Set(k, v); err != nil {
		return err // ErrTooLarge for a value past the session's MaxSize: 413
	}
	return c.JSON(http.StatusOK, demo.KV{K: k, V: v})
}

func getKV(c *echo.Context) error {
	k := c.QueryParam("k")
	if k == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "parameter k is required")
	}
	v, ok, err := sessions.Get[string](sessionsecho.FromContext(c), k)
	if err != nil {
		return err
	}
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such key")
	}
	return c.JSON(http.StatusOK, demo.KV{K: k, V: v})
}

// returnError is the sessionsecho.Options.ErrorHandler: it hands the
// error of a session that could not be saved, or a session error a
// handler returned, as it is, to the app's HTTPErrorHandler, which
// answers and logs it like any other error. (sessionsecho's default
// would answer it itself, with sessions.ErrorBody.)
func returnError(_ *echo.Context, err error) error { return err }

// errorHandler returns the app's echo.HTTPErrorHandler, which answers
// every error a handler or middleware returns with {"error":"..."} and
// Cache-Control no-store. An error that carries a status (echo v5's
// HTTPStatusCoder: an *echo.HTTPError, the handlers' own, or a sentinel
// such as echo.ErrNotFound) is answered
// with that status, and with its message or else the status text; any
// other error (returnError hands it the session's failures as they are)
// as a session error, by demo.ErrorAnswer (503 "session store
// unavailable" when the store is down, so that a live session never reads
// as empty; 409 for a stored value that does not fit, which only the
// client's /api/kv can have put there), or 500 "internal error" when it
// is not one (a recovered panic, say). A browser loading the page while
// the store is down gets the page itself with 503 (demo.OutagePage),
// which says so and retries until the store is back. The log gets every
// 5xx error, whose text never holds an id, a cookie or a stored value.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		status, msg := http.StatusInternalServerError, "internal error"
		var he *echo.HTTPError
		if code := echo.StatusCode(err); code != 0 {
			status, msg = code, http.StatusText(code)
			if errors.As(err, &he) && he.Message != "" {
				msg = he.Message
			}
		} else if s, m := demo.ErrorAnswer(err); s != http.StatusInternalServerError {
			status, msg = s, m
		}
		if status >= http.StatusInternalServerError {
			level := slog.LevelError
			if errors.Is(err, sessions.ErrUnavailable) {
				level = slog.LevelWarn // the store's outage, not the app's bug
			}
			r := c.Request()
			log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		}
		if res, _ := echo.UnwrapResponse(c.Response()); res != nil && res.Committed {
			return // the response is on its way: nothing more to say
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if status == http.StatusServiceUnavailable && demo.IsPageLoad(c.Request()) && errors.Is(err, sessions.ErrUnavailable) {
			// A browser loading the page while the store is down gets the
			// page itself, which says so and retries by itself.
			err = c.HTMLBlob(status, outagePage)
		} else if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, demo.Error{Error: msg})
		}
		if err != nil {
			log.Warn("writing an error answer", "err", err)
		}
	}
}

// crossOrigin is net/http's cross-origin protection as echo middleware:
// a browser request with an unsafe method (POST, ...) from another origin,
// by its Sec-Fetch-Site or Origin header, gets 403.
func crossOrigin(p *http.CrossOriginProtection) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if err := p.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, err.Error())
			}
			return next(c)
		}
	}
}
