// Package sessionsgin adapts gin to github.com/gosessions/sessions/core:
// server-side sessions in Redict, with the id in a sealed cookie or a JWT.
//
//	import (
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/gin"
//	)
//
//	r := gin.Default()
//	r.Use(sessionsgin.Middleware(store, sessionsgin.Options{}))
//	r.GET("/count", func(c *gin.Context) {
//		n, err := sessionsgin.FromContext(c).Incr("count", 1)
//		if err != nil {
//			c.AbortWithStatus(http.StatusServiceUnavailable)
//			return
//		}
//		c.JSON(http.StatusOK, gin.H{"count": n})
//	})
//
// # Coming from gin-contrib/sessions
//
//   - sessions.Sessions("name", store) is Middleware(store, Options{}); the
//     cookie's name is sessions.CookieOptions.Name, the transport (cookie
//     or JWT) the store's constructor.
//   - sessions.Default(c) is FromContext(c).
//   - session.Get(k), an any to assert, is sessions.Get[T](s, k): typed,
//     with ok for presence and an error for a store failure or a value
//     that does not decode as T.
//   - session.Save() is not needed: the middleware saves the session
//     before the response's first byte (and when the chain returns if
//     nothing was written); a session that only read writes nothing.
//   - session.Set, Delete, Clear, AddFlash and Flashes keep their names.
//   - Logout by session.Options(MaxAge: -1) is s.Destroy(): the record is
//     deleted server-side at once and the cookie cleared.
//   - Call s.Renew() on login (a new id, data kept, the old id dead).
//   - There is no session.ID(): the id is a credential and never leaves
//     the store or the sealed token.
//
// A store failure (ErrUnavailable) answers 503 with a JSON body and
// records the error with c.Error (see Options.ErrorHandler); so does any
// session error (sessions.IsSessionError: ErrNotInteger, ErrConflict,
// ...) that a handler records with c.Error without answering, with its
// own status (sessions.ErrorStatus). The core's sessions.FromContext finds
// the session in c.Request.Context(), for code that takes a
// context.Context. A handler that panics keeps what Incr and Update wrote
// (and the cookie of a session they created), and nothing else.
package sessionsgin
