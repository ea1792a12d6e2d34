// Package sessionsfiber adapts fiber v3 (github.com/gofiber/fiber/v3) to
// gosessions: server-side sessions in Redict, the same API and behaviour
// as the net/http middleware of github.com/gosessions/sessions/core.
//
//	import (
//		sessions "github.com/gosessions/sessions/core"
//		"github.com/gosessions/sessions/fiberv3" // package sessionsfiber
//	)
//
//	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
//	app.Use(recover.New()) // before the sessions
//	app.Use(sessionsfiber.New(store))
//	app.Get("/count", func(c fiber.Ctx) error {
//		n, err := sessionsfiber.FromContext(c).Incr("count", 1)
//		if err != nil {
//			return err // the middleware answers 503 anyway
//		}
//		return c.SendString(fmt.Sprint(n))
//	})
//
// The middleware saves the session once the handler chain has returned
// and before fiber writes the response (fiber sends nothing earlier), so
// the cookie or token is never late. Should the save fail, the handler's
// response is replaced by Config.ErrorHandler's: by default the status
// sessions.ErrorStatus gives (503 when the store is down) and the JSON
// body sessions.ErrorBody, as with every gosessions integration; with
// ReturnFiberError, the app's fiber ErrorHandler answers; a session
// error the handler returns (sessions.IsSessionError) is answered the
// same way. A handler that returns an error keeps its session changes;
// one that panics saves nothing more (mount recover.New before this
// middleware): what Incr, Update or a Store.Save wrote stays, with the
// cookie of a session such a write created or renewed. A body stream
// (c.SendStreamWriter, c.SendStream) is sent after the save: make session
// changes in the handler, not in the stream writer. Store calls are
// bounded by c.Context() and StoreOptions.Timeout.
//
// Coming from fiber's session middleware (middleware/session):
// session.New(session.Config{...}) is New(store), and there is no Next:
// a request that never touches its session costs no store command, so
// there is nothing to skip (mount it on a group to scope it).
// session.FromContext(c) is FromContext(c), with Get(k) as
// sessions.Get[T](s, k), Set, Delete and Destroy as s.Set, s.Delete and
// s.Destroy, Regenerate as s.Renew, Reset as s.Clear then s.Renew (the
// absolute deadline stays), Fresh as s.IsNew; there is no Save or
// Release: the middleware saves. Where
// the id comes from is the store's transport, not an Extractor:
// sessions.NewCookieStore reads the cookie CookieOptions.Name (as
// extractors.FromCookie, but the cookie holds the id sealed),
// sessions.NewJWTStore the header JWTOptions.Header (as
// extractors.FromHeader("Session-Token"); with AcceptBearer, chained with
// extractors.FromAuthHeader("Bearer")). There is no query, form or path
// source: an id in a URL ends up in logs and Referer headers. The
// Cookie* fields are CookieOptions (Secure and HttpOnly by default),
// IdleTimeout and AbsoluteTimeout are StoreOptions, and Storage is
// Redict.
//
// fasthttp reads a request's headers into a buffer of
// fiber.Config.ReadBufferSize bytes, 4 KB by default, and answers 431 to
// a request whose headers do not fit, before any middleware runs. The
// session cookie itself is small (about 100 bytes), but browsers send
// every cookie of the site: raise ReadBufferSize (to 16 << 10, as this
// package's tests do, whose bad-input checks send 8 KB tokens) if your
// clients carry many or large ones.
package sessionsfiber
