package main

import (
	"html/template"
	"io"

	"github.com/gofiber/fiber/v3"

	sessions "github.com/gosessions/sessions/core"
	"github.com/gosessions/sessions/examples/internal/demo"
	sessionsfiber "github.com/gosessions/sessions/fiberv3"
)

// framework names this program on its page.
const framework = "fiber v3"

// staticPage is the jwt-mode page, and outagePage the cookie-mode page
// when the store is down (see errorHandler), each rendered once.
var (
	staticPage = demo.StaticPage(framework)
	outagePage = demo.OutagePage(framework)
)

// views is fiber's template engine (fiber.Config.Views) for templates
// parsed at start-up, such as demo.PageTemplate: c.Render(name, data)
// executes the template of that name.
type views struct{ *template.Template }

// Load does nothing: the templates are parsed already.
func (views) Load() error { return nil }

// Render executes the template name with data; fiber renders into a
// buffer first, so a template error cannot leave half a page.
func (v views) Render(w io.Writer, name string, data any, _ ...string) error {
	return v.ExecuteTemplate(w, name, data)
}

// page renders the cookie-mode page with what demo.ReadPage reads: the
// session's count, its user and the user's sessions. Like /api/read it
// only reads: a visitor without a session gets none.
func page(store *sessions.Store) fiber.Handler {
	return func(c fiber.Ctx) error {
		d, err := demo.ReadPage(c.Context(), store, sessionsfiber.FromContext(c), framework)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store") // the page shows session data
		return c.Render("page.html", d)
	}
}

// static serves the jwt-mode page (demo.StaticPage). It never touches the
// session: the page holds no session data, and its script fetches what it
// shows.
func static(c fiber.Ctx) error {
	// One address serves either mode's page: have the browser check.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(staticPage)
}
