package sessionsgin

import (
	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
)

// sessionKey is the gin.Context key (c.Get, c.Value) of the session.
const sessionKey = "github.com/gosessions/sessions/gin.session"

// Options configures Middleware. The zero value is the default.
type Options struct {
	// ErrorHandler answers a request whose session could not be loaded or
	// saved, in place of the handler's response; it replaces the default
	// entirely. The default aborts the chain (c.Abort), records err with
	// c.Error and answers sessions.ErrorStatus(err) (503 for a store
	// failure, 413 for a session grown too large, 500 otherwise) with the
	// JSON body sessions.ErrorBody(err). A handler of your own should
	// answer too, such as with c.AbortWithStatusJSON.
	ErrorHandler func(c *gin.Context, err error)
}

// Middleware returns gin middleware that attaches the request's session
// (see FromContext) and saves it before the first byte of the response:
// c.Writer is wrapped so that the first WriteHeader, WriteHeaderNow,
// Write, WriteString, Flush or Hijack commits the session, or, should the
// commit fail, answers through the error handler instead of the handler.
// A request whose handlers write nothing commits when the chain returns.
//
// A handler's error or c.Abort does not undo its session changes: the
// response it answers with (c.AbortWithStatusJSON and the like) commits
// the session like any other. A handler that panics saves nothing and
// sends no cookie, so that gin.Recovery's 500 never commits a half-done
// request; register gin.Recovery before this middleware (gin.Default does).
//
// Changes made after the first byte are saved when the chain returns if
// the session already exists in the store; a session that does not exist
// yet cannot be started then (its cookie or token could no longer be
// sent), so make such changes before writing the response.
func Middleware(st *sessions.Store, opts Options) gin.HandlerFunc {
	onError := opts.ErrorHandler
	if onError == nil {
		onError = defaultErrorHandler
	}
	return func(c *gin.Context) {
		// One allocation holds the session and the writer wrapper; the
		// carrier is c itself.
		ctx := c.Request.Context()
		w := &writer{ResponseWriter: c.Writer, ctx: ctx, c: c, st: st, onError: onError}
		st.LoadInto(ctx, &w.s, (*carrier)(c))
		c.Set(sessionKey, &w.s)
		c.Writer = w
		done := false
		defer func() {
			c.Writer = w.ResponseWriter
			if !done {
				// A panic: a recovery middleware's answer must not
				// commit the half-done request.
				st.Discard(&w.s)
			}
		}()
		c.Next()
		done = true
		if !w.failed {
			// Not committed yet: commit now (gin writes the header
			// after the chain). Committed: save the late changes.
			w.committed = true
			if err := st.Finish(ctx, (*carrier)(c), &w.s); err != nil {
				w.fail(err)
			}
		}
	}
}

// FromContext returns the session Middleware attached to c, or nil. The
// methods of a nil *sessions.Session return sessions.ErrNoSession.
//
// To hand the session to code that takes a context.Context, attach it:
// sessions.NewContext(ctx, sessionsgin.FromContext(c)); the core's
// sessions.FromContext then finds it.
func FromContext(c *gin.Context) *sessions.Session {
	v, _ := c.Get(sessionKey)
	s, _ := v.(*sessions.Session)
	return s
}

// defaultErrorHandler is the default Options.ErrorHandler.
func defaultErrorHandler(c *gin.Context, err error) {
	c.Abort()
	c.Error(err) //nolint:errcheck // the *gin.Error is for chaining only
	sessions.DefaultErrorHandler(c.Writer, c.Request, err)
}
