package main

import (
	"bytes"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
)

// framework names this program on its page.
const framework = "net/http"

// staticPage is the jwt-mode page, and outagePage the cookie-mode page
// when the store is down (see answerFailure), each rendered once.
var (
	staticPage = demo.StaticPage(framework)
	outagePage = demo.OutagePage(framework)
)

// page renders the cookie-mode page (demo.PageTemplate) with what
// demo.ReadPage reads: the session's count, its user and the user's
// sessions. Like /api/read it only reads: a visitor without a session
// gets none.
func (h handlers) page(w http.ResponseWriter, r *http.Request) {
	d, err := demo.ReadPage(r.Context(), h.store, sessions.FromContext(r.Context()), framework)
	if err != nil {
		h.sessionError(w, r, err)
		return
	}
	// Render first, so that a template error cannot leave half a page.
	var buf bytes.Buffer
	if err := demo.PageTemplate.Execute(&buf, d); err != nil {
		h.log.Error("page template", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the page shows session data
	_, _ = w.Write(buf.Bytes())                 // the client may be gone; nothing more to tell it
}

// static serves the jwt-mode page (demo.StaticPage). It never touches the
// session: the page holds no session data, and its script fetches what it
// shows.
func (h handlers) static(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// One address serves either mode's page: have the browser check.
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(staticPage) // the client may be gone; nothing more to tell it
}
