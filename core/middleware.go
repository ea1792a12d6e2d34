package sessions

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
)

// contextKey is the type of the request-context key of the session.
type contextKey struct{ name string }

var sessionKey = &contextKey{"session"}

// MiddlewareOptions configures Middleware. The zero value is the default.
type MiddlewareOptions struct {
	// ErrorHandler answers a request whose session could not be loaded or
	// saved. The default, DefaultErrorHandler, answers 503 for a store
	// failure, 413 for a session grown too large and 500 otherwise.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// DefaultErrorHandler answers with ErrorStatus(err) and a short JSON body
// that names no secret.
func DefaultErrorHandler(w http.ResponseWriter, _ *http.Request, err error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(ErrorStatus(err))
	_, _ = w.Write([]byte(ErrorBody(err))) // the client may be gone; nothing more to tell it
}

// DropHandlerHeaders removes from h the headers a handler set for a
// response that the error answer replaces (Content-Type, Content-Length,
// Content-Encoding, ETag, Location, Cache-Control, ...). Set-Cookie stays:
// a token an earlier Save wrote is still valid. Integrations call it before
// their error handler answers.
func DropHandlerHeaders(h http.Header) {
	for _, k := range discardOnError {
		delete(h, k)
	}
}

// WriteError answers a request whose session failed as
// DefaultErrorHandler does, first removing the headers the handler set for
// the response it will no longer send (Content-Type, Content-Length,
// Content-Encoding, ETag, Location, Cache-Control, ...). Set-Cookie stays:
// a token an earlier Save wrote is still valid. Framework integrations
// whose commit fails as the header goes out answer with it.
func WriteError(w http.ResponseWriter, err error) {
	DropHandlerHeaders(w.Header())
	DefaultErrorHandler(w, nil, err)
}

// ErrorMessage returns the words of ErrorBody for err ("session store
// unavailable", "session too large" or "session error"), for integrations
// that hand the error to their framework's own renderer.
func ErrorMessage(err error) string {
	switch ErrorStatus(err) {
	case http.StatusServiceUnavailable:
		return "session store unavailable"
	case http.StatusRequestEntityTooLarge:
		return "session too large"
	case http.StatusConflict:
		if errors.Is(err, ErrTooManySessions) {
			return "too many sessions"
		}
		return "session changed concurrently"
	case http.StatusLocked:
		return "session locked"
	}
	return "session error"
}

// ErrorBody returns the JSON body DefaultErrorHandler sends for err, with
// its trailing newline: {"error":"session store unavailable"} for
// ErrUnavailable, {"error":"session too large"} for ErrTooLarge,
// {"error":"session error"} otherwise. Framework integrations send the
// same bytes, so that every framework answers a store failure alike.
func ErrorBody(err error) string {
	return `{"error":"` + ErrorMessage(err) + `"}` + "\n"
}

// ErrorStatus maps a session error to an HTTP status: 503 for
// ErrUnavailable (the store is down or slow), 413 for ErrTooLarge (the
// request would grow the session past its limit), 409 for ErrConflict (an
// optimistic save found the session changed) and ErrTooManySessions (a
// login refused over the cap), 423 for ErrLocked (the session's lock is
// held), 500 for anything else.
func ErrorStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrConflict), errors.Is(err, ErrTooManySessions):
		return http.StatusConflict
	case errors.Is(err, ErrLocked):
		return http.StatusLocked
	default:
		return http.StatusInternalServerError
	}
}

// Middleware returns net/http middleware that attaches the request's
// session (see FromContext) and saves it before the first byte of the
// response: the response writer is wrapped so that the first WriteHeader,
// Write, Flush, ReadFrom or Hijack commits the session, or, should the
// commit fail, answers through the error handler instead of the handler's
// response. The wrapper has Unwrap, so http.ResponseController reaches the
// underlying writer.
//
// A handler that panics saves nothing more: its unsaved changes are
// dropped, and a Renew not written yet is undone. What it had written
// already stays: Incr and Update write at once (with every change pending
// before them), as does an explicit Store.Save. When such a write created
// the session or carried its Renew, the old token is dead, so the new one
// is sent with whatever answers the panic (mount the recovery middleware
// outside this one); otherwise no token is sent.
//
// Changes made after the first byte are saved when the handler returns if
// the session already exists in the store; a session that does not exist
// yet cannot be started then (its cookie or token could no longer be
// sent), so make such changes before writing the response.
func Middleware(st *Store, opts MiddlewareOptions) func(http.Handler) http.Handler {
	onError := opts.ErrorHandler
	if onError == nil {
		onError = DefaultErrorHandler
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// One allocation holds the request's session, carrier and
			// writer wrapper.
			x := &exchange{w: sessionWriter{ResponseWriter: w, st: st, onError: onError}}
			x.c = httpCarrier{r: r, w: w}
			st.LoadInto(r.Context(), &x.s, &x.c)
			r = r.WithContext(NewContext(r.Context(), &x.s))
			x.w.s, x.w.c, x.w.r = &x.s, &x.c, r
			done := false
			defer func() {
				if !done {
					// The handler panicked: save nothing, and undo a
					// Renew whose new record was not written, so that
					// a crash does not log the user out.
					st.Discard(&x.s)
				}
			}()
			next.ServeHTTP(&x.w, r)
			done = true
			if !x.w.committed {
				x.w.flushSession()
			} else if !x.w.failed {
				// Changes made after the first byte: a live session
				// still takes them; a failure goes to the store's
				// Logger.
				_ = st.Finish(r.Context(), &x.c, &x.s) // it reports to the store's Logger and returns nil
			}
		})
	}
}

// exchange is the per-request state of Middleware.
type exchange struct {
	s Session
	c httpCarrier
	w sessionWriter
}

// NewContext returns a copy of ctx that carries s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey, s)
}

// FromContext returns the session that Middleware (or an adapter) attached
// to ctx, or nil. The methods of a nil *Session return ErrNoSession.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey).(*Session)
	return s
}

// sessionWriter commits the session before the response's first byte.
type sessionWriter struct {
	http.ResponseWriter
	st        *Store
	s         *Session
	c         *httpCarrier
	r         *http.Request
	onError   func(http.ResponseWriter, *http.Request, error)
	committed bool
	failed    bool // the commit failed: the error handler answered
}

// flushSession commits once; it reports whether the handler may write.
func (w *sessionWriter) flushSession() bool {
	if !w.committed {
		w.committed = true
		if err := w.st.Commit(w.r.Context(), w.c, w.s); err != nil {
			w.failed = true
			// The handler's headers describe a response that will not
			// be sent.
			DropHandlerHeaders(w.Header())
			w.onError(w.ResponseWriter, w.r, err)
		}
	}
	return !w.failed
}

func (w *sessionWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational responses (103 Early Hints) go out before the
		// session is settled.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.flushSession() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.flushSession() {
		return len(b), nil // the error handler answered; drop the body
	}
	return w.ResponseWriter.Write(b)
}

// Flush commits the session and flushes the underlying writer if it can.
func (w *sessionWriter) Flush() {
	if w.flushSession() {
		_ = http.NewResponseController(w.ResponseWriter).Flush() // a writer that cannot flush sends at the end
	}
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack commits the session, then hijacks the underlying connection (for
// websockets): the upgrade response carries the session's cookie.
func (w *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.flushSession() {
		return nil, nil, errCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// ReadFrom commits the session, then copies from r, keeping the underlying
// writer's sendfile path.
func (w *sessionWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.flushSession() {
		return 0, errCommitFailed
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(w.ResponseWriter, r)
}

var errCommitFailed = errors.New("sessions: the session could not be saved; the error handler answered")

// discardOnError lists the response headers the handler may have set that
// the error handler's answer must not inherit.
// (Set-Cookie stays: a token an explicit Save wrote earlier is still valid.)
var discardOnError = []string{
	"Content-Length", "Content-Encoding", "Content-Range", "Content-Type",
	"Content-Disposition", "Transfer-Encoding", "Trailer", "Etag",
	"Last-Modified", "Location", "Accept-Ranges", "Cache-Control", "Expires",
}
