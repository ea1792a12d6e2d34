package demo

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"

	sessions "github.com/gosessions/sessions/core"
)

// Pages holds the demo page's source: page.html, the cookie-mode page (an
// html/template of PageData, rendered on the server), and static.html, the
// jwt-mode page (a template of the framework's name only; StaticPage
// renders it). Both carry the element ids of the contract's page section,
// so that one browser test can drive any program.
//
//go:embed page.html static.html
var Pages embed.FS

// PageTemplate is page.html parsed: execute it (its name is "page.html")
// with a PageData. Frameworks with a template registry can take it as is,
// or parse page.html from Pages themselves (gin's LoadHTMLFS).
var PageTemplate = template.Must(template.ParseFS(Pages, "page.html"))

// staticTemplate is static.html parsed.
var staticTemplate = template.Must(template.ParseFS(Pages, "static.html"))

// PageData is what the cookie-mode page shows.
type PageData struct {
	Framework string    // the program's framework, in the title: "net/http", "gin", ...
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

// StaticPage returns the jwt-mode page for the named framework: a static
// page, as in a client-rendered app, whose script keeps the session token
// in sessionStorage (this tab only, gone when it closes), sends it in the
// Session-Token header with every fetch, and takes the new token from each
// response that carries one; an empty value means "drop your token". It
// shows data with textContent only, so nothing the API returns is ever
// parsed as HTML. Render it once, at start-up.
func StaticPage(framework string) []byte {
	var buf bytes.Buffer
	if err := staticTemplate.Execute(&buf, PageData{Framework: framework}); err != nil {
		panic("demo: static page: " + err.Error()) // a bug in static.html
	}
	return buf.Bytes()
}
