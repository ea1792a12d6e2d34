package demo

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"

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

// PageData is what the page shows.
type PageData struct {
	Framework string    // the program's framework, in the title: "net/http", "gin", ...
	JWT       bool      // the jwt-mode page (StaticPage): no state, the script reads it
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
