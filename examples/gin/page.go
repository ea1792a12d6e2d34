package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gosessions/sessions/examples/internal/demo"
	sessionsgin "github.com/gosessions/sessions/gin"
)

// framework names this program on its page.
const framework = "gin"

// staticPage is the jwt-mode page, and outagePage the cookie-mode page
// when the store is down (see abortWithOutagePage), each rendered once.
var (
	staticPage = demo.StaticPage(framework)
	outagePage = demo.OutagePage(framework)
)

// page renders the cookie-mode page (page.html, which newEngine loads
// with r.LoadHTMLFS) with what demo.ReadPage reads: the session's count,
// its user and the user's sessions. Like /api/read it only reads: a
// visitor without a session gets none.
func (h handlers) page(c *gin.Context) {
	d, err := demo.ReadPage(c.Request.Context(), h.store, sessionsgin.FromContext(c), framework)
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // the page shows session data
	c.HTML(http.StatusOK, "page.html", d)
}

// static serves the jwt-mode page (demo.StaticPage). It never touches the
// session: the page holds no session data, and its script fetches what it
// shows.
func static(c *gin.Context) {
	// One address serves either mode's page: have the browser check.
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", staticPage)
}
