package main

import (
	"bytes"
	"html/template"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
)

// pageTemplate is the demo's one page. The forms work without script (the
// browser then shows the API's JSON answer); the script sends them with
// fetch and reloads the page instead.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gosessions: net/http demo</title>
</head>
<body>
<h1>gosessions: net/http demo</h1>
<p>Count: <output id="count">{{.Count}}</output></p>
<form method="get" action="/api/count"><button>Count</button></form>
{{if .User}}
<p>Logged in as <strong id="user">{{.User}}</strong>.</p>
<form method="post" action="/api/logout"><button>Log out</button></form>
{{else}}
<form method="post" action="/api/login">
<label>Name <input name="user" required autocomplete="username"></label>
<button>Log in</button>
</form>
{{end}}
<script>
for (const form of document.forms) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const post = form.method === "post";
    const res = await fetch(form.action, {
      method: form.method,
      body: post ? new URLSearchParams(new FormData(form)) : undefined,
    });
    if (!res.ok) {
      alert("Request failed: " + res.status);
    }
    location.reload();
  });
}
</script>
</body>
</html>
`))

// pageData is what the page shows.
type pageData struct {
	Count int
	User  string
}

// page renders the session's count and user. Like /api/read it only reads:
// a visitor without a session gets none.
func (h handlers) page(w http.ResponseWriter, r *http.Request) {
	s := sessions.FromContext(r.Context())
	var d pageData
	var err error
	if d.Count, _, err = sessions.Get[int](s, "count"); err != nil {
		h.sessionError(w, r, err)
		return
	}
	if d.User, _, err = sessions.Get[string](s, "user"); err != nil {
		h.sessionError(w, r, err)
		return
	}
	// Render first, so that a template error cannot leave half a page.
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		h.log.Error("page template", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // the page shows session data
	w.Write(buf.Bytes())
}
