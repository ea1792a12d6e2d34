package demo

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
)

// Pages holds the demo page's source, page.html: one html/template of
// PageData for both transports, with its style and script inline (the
// program serves everything the page needs). Cookie mode renders it on
// the server with the session's state (ReadPage); jwt mode renders it once
// without any (StaticPage), and its script reads the state. Either way
// the script does every action with fetch and shows the new state in
// place. It carries the element ids of the contract's page section, so
// that one browser test (internal/contract's TestBrowser) can drive any
// program.
//
//go:embed page.html
var Pages embed.FS

// PageTemplate is page.html parsed: execute it (its name is "page.html")
// with a PageData. Frameworks with a template registry can take it as is,
// or parse page.html from Pages themselves (gin's LoadHTMLFS).
var PageTemplate = template.Must(template.ParseFS(Pages, "page.html"))

// StoreDownStatus is what the page's status line says while the store is
// down: on the page OutagePage renders, and in the script, which says it
// when an action or a read answers 503.
const StoreDownStatus = "The session store is unavailable, so your session can be neither read nor saved. " +
	"Nothing is lost: the page retries by itself."

// PageData is what the page shows.
type PageData struct {
	Framework string    // the program's framework, in the title: "net/http", "gin", ...
	JWT       bool      // the jwt-mode page (StaticPage): no state, the script reads it
	Outage    bool      // the store was down (OutagePage): no state, the script retries
	Count     int       // the session's count
	User      string    // the logged-in user (the session's bound user), empty when nobody is
	Sessions  []Session // the user's live sessions, oldest first
	Status    string    // a note on what could not be shown, empty when all is well
}

// ReadPage reads what the cookie-mode page shows of session s, the
// request's session of store st: the count, the bound user and that
// user's sessions. Like GET /api/read it only reads: a visitor without a
// session gets none. A count that is not a number (POST /api/kv put
// something else there) shows as 0, with a note in Status. The error is
// a store failure, for the program to answer (503), or a bug.
func ReadPage(ctx context.Context, st *sessions.Store, s *sessions.Session, framework string) (PageData, error) {
	d := PageData{Framework: framework}
	var err error
	if d.Count, _, err = sessions.Get[int](s, "count"); errors.Is(err, sessions.ErrDecode) {
		d.Count, d.Status = 0, "The count is not a number: POST /api/kv set it to something else."
	} else if err != nil {
		return d, err
	}
	if d.User, err = s.BoundUser(); err != nil || d.User == "" {
		return d, err
	}
	list, err := st.ListSessions(ctx, d.User, s)
	if err != nil {
		return d, err
	}
	d.Sessions = SessionList(list).Sessions
	return d, nil
}

// Known reports whether the page holds the session's state, rendered on
// the server; otherwise (StaticPage, OutagePage) its script reads the
// state, and until then the page shows neither a count nor who is logged
// in, rather than a guest's page that could be wrong.
func (d PageData) Known() bool { return !d.JWT && !d.Outage }

// StoreDown is StoreDownStatus, for the page's script.
func (PageData) StoreDown() string { return StoreDownStatus }

// Initial is the first letter of the user's name, for the page's avatar.
func (d PageData) Initial() string {
	for _, r := range d.User {
		return string(r)
	}
	return ""
}

// StaticPage returns the jwt-mode page for the named framework: page.html
// without session data, as in a client-rendered app, whose script keeps
// the session token in sessionStorage (this tab only, gone when it
// closes), sends it in the Session-Token header with every fetch, and
// takes the new token from each response that carries one; an empty value
// means "drop your token". It shows data with textContent only, so nothing
// the API returns is ever parsed as HTML. Render it once, at start-up.
func StaticPage(framework string) []byte {
	var buf bytes.Buffer
	if err := PageTemplate.Execute(&buf, PageData{Framework: framework, JWT: true}); err != nil {
		panic("demo: static page: " + err.Error()) // a bug in page.html
	}
	return buf.Bytes()
}

// OutagePage returns the cookie-mode page for the named framework as a
// browser gets it when the store is down as the page loads (answer it
// with status 503 and Cache-Control no-store; WriteOutagePage does): it
// shows no session data, which could not be read, and says so in its
// status line (StoreDownStatus); its script retries until the store
// answers, and then shows the session. A reload during an outage so
// keeps the page, as it does in jwt mode, instead of replacing it with a
// JSON error. Render it once, at start-up.
func OutagePage(framework string) []byte {
	var buf bytes.Buffer
	if err := PageTemplate.Execute(&buf, PageData{Framework: framework, Outage: true, Status: StoreDownStatus}); err != nil {
		panic("demo: outage page: " + err.Error()) // a bug in page.html
	}
	return buf.Bytes()
}

// IsPageLoad reports whether r loads the page (GET or HEAD /), for the
// error handlers that answer it with OutagePage when the store is down.
func IsPageLoad(r *http.Request) bool {
	return r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// WriteOutagePage answers with page, OutagePage's, and status 503, for
// net/http error handlers (frameworks send the same with their own calls).
func WriteOutagePage(w http.ResponseWriter, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(page) // the client may be gone; nothing more to tell it
}
