package demo

import (
	"bytes"
	"embed"
	"html/template"
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
// for example gin's SetHTMLTemplate.
var PageTemplate = template.Must(template.ParseFS(Pages, "page.html"))

// staticTemplate is static.html parsed.
var staticTemplate = template.Must(template.ParseFS(Pages, "static.html"))

// PageData is what the cookie-mode page shows.
type PageData struct {
	Framework string // the program's framework, in the title: "net/http", "gin", ...
	Count     int    // the session's count
	User      string // the logged-in user, empty when nobody is
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
