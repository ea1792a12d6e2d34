// Package sessionsecho adapts echo v5 (github.com/labstack/echo/v5) to
// github.com/gosessions/sessions/core: server-side sessions in Redict,
// their id in an encrypted cookie or a signed JWT.
//
//	import (
//		"github.com/labstack/echo/v5"
//		"github.com/labstack/echo/v5/middleware"
//
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/echov5" // package sessionsecho
//	)
//
//	e := echo.New()
//	e.Use(middleware.Recover()) // outside the sessions
//	e.Use(sessionsecho.Middleware(store, sessionsecho.Options{}))
//	e.GET("/count", func(c *echo.Context) error {
//		n, err := sessionsecho.FromContext(c).Incr("count", 1)
//		if err != nil {
//			return err // a store failure: the middleware answers 503
//		}
//		return c.JSON(http.StatusOK, map[string]int64{"count": n})
//	})
//
// The session is saved just before the response's header is written (a
// Before func of echo's *echo.Response), so handlers never call Save.
// Coming from echo-contrib/session: session.Get(name, c) is
// FromContext(c), sess.Values[k] = v is s.Set(k, v), a read is
// sessions.Get[T](s, k), MaxAge -1 is s.Destroy(), and sess.Save goes.
//
// Coming from the echo v4 adapter (github.com/gosessions/sessions/echo),
// only echo's own changes show: handlers take *echo.Context, and
// Options.ErrorHandler is func(c *echo.Context, err error) error. Its
// default returns an *echo.HTTPError that wraps the session error (v5's
// HTTPError.Wrap; v4 put it in Internal), so errors.Is(err,
// sessions.ErrUnavailable) holds in the app's HTTPErrorHandler, and
// echo.StatusCode(err) is 503.
package sessionsecho
