// Package sessionsecho adapts echo (github.com/labstack/echo/v4) to
// github.com/gosessions/sessions/core: server-side sessions in Redict,
// their id in an encrypted cookie or a signed JWT.
//
//	import (
//		"github.com/labstack/echo/v4"
//		"github.com/labstack/echo/v4/middleware"
//
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/echo" // package sessionsecho
//	)
//
//	e := echo.New()
//	e.Use(middleware.Recover())                      // outside the sessions
//	e.Use(sessionsecho.Middleware(store, sessionsecho.Options{}))
//	e.GET("/count", func(c echo.Context) error {
//		n, err := sessionsecho.FromContext(c).Incr("count", 1)
//		if err != nil {
//			return err // a store failure: the middleware answers 503
//		}
//		return c.JSON(http.StatusOK, map[string]int64{"count": n})
//	})
//
// The session is saved just before the response's header is written, so
// handlers never call Save. Coming from echo-contrib/session:
// session.Get(name, c) is FromContext(c), sess.Values[k] = v is
// s.Set(k, v), a read is sessions.Get[T](s, k), MaxAge -1 is s.Destroy(),
// and sess.Save(c.Request(), c.Response()) goes away.
//
// This module is for echo v4. The adapter for echo v5 is a module of its
// own, in the v5 folder beside this package.
package sessionsecho
