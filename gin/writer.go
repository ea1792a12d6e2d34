package sessionsgin

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	sessions "github.com/gosessions/sessions/core"
)

// writer wraps gin's response writer to commit the session before the
// response's first byte. Every gin.ResponseWriter method keeps working:
// those that do not write (Status, Size, Written, CloseNotify, Pusher,
// Header) pass straight through.
type writer struct {
	gin.ResponseWriter
	ctx       context.Context
	c         *gin.Context
	st        *sessions.Store
	s         sessions.Session
	onError   func(*gin.Context, error)
	committed bool
	failed    bool // the commit failed: the error handler answered
}

var _ gin.ResponseWriter = (*writer)(nil)

// commit commits the session once; it reports whether the handler may
// write.
func (w *writer) commit() bool {
	if !w.committed {
		w.committed = true
		if err := w.st.Commit(w.ctx, (*carrier)(w.c), &w.s); err != nil {
			w.fail(err)
		}
	}
	return !w.failed
}

// fail answers err through the error handler, on gin's own writer, in
// place of the handler's response.
func (w *writer) fail(err error) {
	w.failed = true
	// The handler's headers describe a response that will not be sent.
	sessions.DropHandlerHeaders(w.Header())
	prev := w.c.Writer
	w.c.Writer = w.ResponseWriter
	w.onError(w.c, err)
	w.c.Writer = prev
}

func (w *writer) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // 103 Early Hints: before the session
		return
	}
	if w.commit() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) WriteHeaderNow() {
	if w.commit() {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if !w.commit() {
		return len(b), nil // the error handler answered; drop the body
	}
	return w.ResponseWriter.Write(b)
}

func (w *writer) WriteString(s string) (int, error) {
	if !w.commit() {
		return len(s), nil
	}
	return w.ResponseWriter.WriteString(s)
}

func (w *writer) Flush() {
	if w.commit() {
		w.ResponseWriter.Flush()
	}
}

// Hijack commits the session, then hijacks the connection (for
// websockets): the upgrade response carries the session's cookie.
func (w *writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, errCommitFailed
	}
	return w.ResponseWriter.Hijack()
}

// Unwrap returns gin's writer, for http.ResponseController.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var errCommitFailed = errors.New("sessionsgin: the session could not be saved; the error handler answered")
