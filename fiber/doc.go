// Package sessionsfiber adapts fiber v2 to gosessions: server-side
// sessions in Redict, the same API and behaviour as the net/http
// middleware of github.com/gosessions/sessions/core.
//
//	import (
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/fiber"
//	)
//
//	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
//	app.Use(recover.New())                            // before the sessions
//	app.Use(sessionsfiber.New(store, sessionsfiber.Config{}))
//	app.Get("/count", func(c *fiber.Ctx) error {
//		n, err := sessionsfiber.FromContext(c).Incr("count", 1)
//		if err != nil {
//			return err // the middleware answers 503 anyway
//		}
//		return c.SendString(fmt.Sprint(n))
//	})
//
// The middleware saves the session once the handler chain has returned
// and before fiber writes the response (fiber sends nothing earlier), so
// the cookie or token is never late. Should the save fail, the
// handler's response is replaced by Config.ErrorHandler's: by default
// the status sessions.ErrorStatus gives (503 when the store is down) and
// the JSON body sessions.ErrorBody, as with every gosessions integration;
// with ReturnFiberError, the app's fiber ErrorHandler answers.
//
// A handler that returns an error keeps its session changes: the error
// response commits the session like any other. A session error it
// returns (ErrNotInteger, ErrConflict, ...: sessions.IsSessionError) is
// answered as a store failure is, by Config.ErrorHandler, rather than by
// fiber's ErrorHandler, which would send the library's text. A handler
// that panics saves nothing more: mount fiber's recover middleware before
// this one (outside it); the unsaved changes are then dropped, but what
// Incr, Update or a Store.Save wrote stays, and the cookie of a session
// such a write created or renewed goes out with the 500. (A recover
// mounted after this one turns the panic into an error first, which
// commits.)
//
// A response body stream (c.Context().SetBodyStreamWriter, c.SendStream)
// is sent after the session was saved: make session changes in the
// handler, not in the stream writer (fasthttp forbids touching the
// request there, and later changes are not saved).
//
// Store calls are bounded by c.UserContext() and StoreOptions.Timeout.
// The session is kept in c.Locals; sessions.FromContext(c.UserContext())
// finds it too. Every string the adapter hands to the core (cookies of
// the session's name, request headers) is a copy, since fasthttp reuses
// its buffers after the request.
//
// fasthttp reads a request's headers into a buffer of
// fiber.Config.ReadBufferSize bytes, 4 KB by default, and answers 431 to
// a request whose headers do not fit, before any middleware runs. The
// session cookie itself is small (about 100 bytes), but browsers send
// every cookie of the site: raise ReadBufferSize (to 16 << 10, say, as
// this package's tests do, whose bad-input checks send 8 KB tokens) if
// your clients carry many or large ones.
package sessionsfiber
