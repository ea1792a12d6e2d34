package main

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
	sessionsfiber "github.com/gosessions/sessions/fiber"
)

// newApp returns the app: the demo contract's endpoints behind the
// sessionsfiber middleware, behind a cross-origin check (crossOrigin,
// which refuses cross-origin POSTs from browsers; in cookie mode the
// session cookie's SameSite=Lax is the second line, while in jwt mode no
// credential rides along by itself), behind fiber's recover, which is
// outside the sessions so that a panic saves nothing. jwt says the store
// is a JWT store: GET / is then the static page whose script carries the
// token.
//
// Every route sits behind the middleware, /health too: the session is
// loaded lazily, so a handler that never touches it costs no store command
// and sets no cookie or token.
func newApp(store *sessions.Store, jwt bool, log *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{
		// fasthttp reads the request line and headers into this buffer and
		// answers 431 when they do not fit; its default, 4 KB, is too small
		// for a browser that carries a few cookies of other apps.
		ReadBufferSize:        16 << 10,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          errorHandler(log),
		Views:                 views{demo.PageTemplate},
		DisableStartupMessage: true, // demo.Main logs where to open the page
	})
	app.Use(recover.New())
	app.Use(crossOrigin)
	app.Use(sessionsfiber.New(store, sessionsfiber.Config{ErrorHandler: returnError}))

	app.Get("/health", health)
	if jwt {
		app.Get("/", static)
	} else {
		app.Get("/", page(store))
	}
	api := app.Group("/api")
	api.Get("/count", count)
	api.Get("/read", read)
	api.Post("/login", login)
	api.Get("/me", me)
	api.Post("/logout", logout)
	api.Post("/logout-all", logoutAll(store))
	api.Get("/sessions", listSessions(store))
	api.Post("/sessions/revoke", revokeSession(store))
	api.Post("/kv", setKV)
	api.Get("/kv", getKV)
	return app
}

func health(c *fiber.Ctx) error {
	return c.JSON(demo.Health{Status: "ok"})
}

// count increments the session's counter; the increment runs inside the
// store, so concurrent requests never lose one. A session error is
// returned as it is: errorHandler answers it (503 when the store is down).
func count(c *fiber.Ctx) error {
	n, err := sessionsfiber.FromContext(c).Incr("count", 1)
	if err != nil {
		return err
	}
	return c.JSON(demo.Count{Count: n})
}

// read reports the counter without writing anything: a client without a
// session gets 0 and no cookie or token.
func read(c *fiber.Ctx) error {
	n, _, err := sessions.Get[int64](sessionsfiber.FromContext(c), "count")
	if err != nil {
		return err
	}
	return c.JSON(demo.Count{Count: n})
}

// loginForm is the body of POST /api/login: c.BodyParser reads a form (or
// JSON) body, never the query string.
type loginForm struct {
	User string `form:"user"`
}

// login renews the session id before storing the user, so that an id
// planted before login (session fixation) is dead after it, and binds the
// session to the user (labelled with the browser's User-Agent, which the
// core cuts to sessions.MaxLabelLen), which lists it in the user's
// sessions (GET /api/sessions) and ends it with the others at
// logout-all. The binding is written with the renewed record. (Strings
// from fiber live in buffers it reuses: Set encodes the value at once,
// and c.JSON too, but BindUser keeps its arguments until the save, after
// this handler returns, so they are copied.)
func login(c *fiber.Ctx) error {
	var f loginForm
	if err := c.BodyParser(&f); err != nil || f.User == "" {
		return fiber.NewError(fiber.StatusBadRequest, "form field user is required")
	}
	s := sessionsfiber.FromContext(c)
	if err := s.Renew(); err != nil {
		return err
	}
	if err := s.Set("user", f.User); err != nil {
		return err
	}
	if err := s.BindUser(strings.Clone(f.User), strings.Clone(c.Get(fiber.HeaderUserAgent))); err != nil {
		return err
	}
	return c.JSON(demo.User{User: f.User})
}

// me answers the session's user: the user it is bound to, which only a
// login sets (a "user" key written through /api/kv is just data).
func me(c *fiber.Ctx) error {
	name, err := user(c)
	if err != nil {
		return err
	}
	return c.JSON(demo.User{User: name})
}

// user returns the user the request's session is bound to, or an error:
// 401 without one, or the session error.
func user(c *fiber.Ctx) (string, error) {
	name, err := sessionsfiber.FromContext(c).BoundUser()
	if err == nil && name == "" {
		err = fiber.NewError(fiber.StatusUnauthorized, "not logged in")
	}
	return name, err
}

// logout deletes the session from the store; the middleware then clears
// the cookie, or in jwt mode sends an empty Session-Token header.
func logout(c *fiber.Ctx) error {
	if err := sessionsfiber.FromContext(c).Destroy(); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// logoutAll ends every session of the user: the others through the
// store's per-user index, then this one with Destroy, so that this
// response clears the cookie or token.
func logoutAll(store *sessions.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		s := sessionsfiber.FromContext(c)
		n, err := store.DestroyUserSessions(c.UserContext(), user, s)
		if err != nil {
			return err
		}
		if err := s.Destroy(); err != nil {
			return err
		}
		return c.JSON(demo.Destroyed{Destroyed: n + 1})
	}
}

// listSessions lists the user's live sessions, marking this one; their
// handles name them for revokeSession and are no credential.
func listSessions(store *sessions.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		list, err := store.ListSessions(c.UserContext(), user, sessionsfiber.FromContext(c))
		if err != nil {
			return err
		}
		return c.JSON(demo.SessionList(list))
	}
}

// revokeSession ends the user's session named by the handle parameter,
// wherever it is in use. Revoking this session is logging out: Destroy
// also clears its cookie or token.
func revokeSession(store *sessions.Store) fiber.Handler {
	return func(c *fiber.Ctx) error {
		user, err := user(c)
		if err != nil {
			return err
		}
		handle := c.FormValue("handle")
		if handle == "" {
			return fiber.NewError(fiber.StatusBadRequest, "parameter handle is required")
		}
		s := sessionsfiber.FromContext(c)
		n, err := store.RevokeSession(c.UserContext(), user, handle, s)
		if err != nil {
			return err
		}
		if n == 0 {
			return fiber.NewError(fiber.StatusNotFound, "no such session")
		}
		return c.JSON(demo.Destroyed{Destroyed: n})
	}
}

// setKV sets session key k to v; both come from the query or the form.
func setKV(c *fiber.Ctx) error {
	k, v := c.FormValue("k"), c.FormValue("v")
	if k == "" {
		return fiber.NewError(fiber.StatusBadRequest, "parameter k is required")
	}
	if err := sessionsfiber.FromContext(c).Set(k, v); err != nil {
		return err // ErrTooLarge for a value past the session's MaxSize: 413
	}
	return c.JSON(demo.KV{K: k, V: v})
}

func getKV(c *fiber.Ctx) error {
	k := c.Query("k")
	if k == "" {
		return fiber.NewError(fiber.StatusBadRequest, "parameter k is required")
	}
	v, ok, err := sessions.Get[string](sessionsfiber.FromContext(c), k)
	if err != nil {
		return err
	}
	if !ok {
		return fiber.NewError(fiber.StatusNotFound, "no such key")
	}
	return c.JSON(demo.KV{K: k, V: v})
}

// returnError is the sessionsfiber.Config.ErrorHandler: it hands the
// error of a session that could not be loaded or saved, as it is, to the
// app's ErrorHandler, which answers and logs it like any session error a
// handler returns. (sessionsfiber.ReturnFiberError would hand it a
// *fiber.Error, which keeps the status and the words but not the cause.)
func returnError(_ *fiber.Ctx, err error) error { return err }

// errorHandler returns the app's fiber.ErrorHandler, which answers every
// error a handler or middleware returns with {"error":"..."} and
// Cache-Control no-store: a *fiber.Error with its code and message (the
// handlers' own, fiber's 404 and 405, crossOrigin's 403); any other error
// as a session error, by demo.ErrorAnswer (503 "session store
// unavailable" when the store is down, so that a live session never reads
// as empty; 409 for a stored value that does not fit, which only the
// client's /api/kv can have put there), or 500 "internal error" when it
// is not one; a browser loading the page while the store is down gets the
// page itself with 503 (demo.OutagePage), which says so and retries until
// the store is back. The log gets every such error that answers 5xx; its
// text never holds an id, a cookie or a stored value.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, msg := fiber.StatusInternalServerError, "internal error"
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status, msg = fe.Code, fe.Message
		} else {
			if s, m := demo.ErrorAnswer(err); s != fiber.StatusInternalServerError {
				status, msg = s, m
			}
			if status >= fiber.StatusInternalServerError {
				level := slog.LevelError
				if errors.Is(err, sessions.ErrUnavailable) {
					level = slog.LevelWarn // the store's outage, not the app's bug
				}
				log.Log(c.UserContext(), level, "request failed", "method", c.Method(), "path", c.Path(), "status", status, "err", err)
			}
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		if status == fiber.StatusServiceUnavailable && isPageLoad(c) && errors.Is(err, sessions.ErrUnavailable) {
			// A browser loading the page while the store is down gets the
			// page itself, which says so and retries by itself.
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.Status(status).Send(outagePage)
		}
		return c.Status(status).JSON(demo.Error{Error: msg})
	}
}

// isPageLoad reports whether c loads the page (GET or HEAD /), as
// demo.IsPageLoad does for a net/http request.
func isPageLoad(c *fiber.Ctx) bool {
	return c.Path() == "/" && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead)
}
