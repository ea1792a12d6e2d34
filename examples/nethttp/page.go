package main

import (
	"bytes"
	"html/template"
	"io"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
)

// pageTemplate is the demo's page in cookie mode. The forms work without
// script (the browser then shows the API's JSON answer); the script sends
// them with fetch and reloads the page instead.
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

// staticPageHTML is the demo's page in jwt mode: the same page, but static, as
// in a client-rendered app. Its script keeps the session token in
// sessionStorage (this tab only, gone when it closes), sends it in the
// Session-Token header with every fetch, and takes the new token from each
// response that carries one; an empty value means "drop your token". It
// shows data with textContent only, so nothing the API returns is ever
// parsed as HTML.
const staticPageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gosessions: net/http demo (jwt)</title>
</head>
<body>
<h1>gosessions: net/http demo (jwt)</h1>
<noscript><p>This page needs JavaScript: its script carries the session token.</p></noscript>
<p>Count: <output id="count">?</output> <button id="count-button" type="button">Count</button></p>
<p id="signed-in" hidden>Logged in as <strong id="user"></strong>.
<button id="logout" type="button">Log out</button></p>
<form id="login" hidden>
<label>Name <input name="user" required autocomplete="username"></label>
<button>Log in</button>
</form>
<p id="status" role="status"></p>
<script>
"use strict";
const tokenHeader = "Session-Token";
const storageKey = "session-token";
const $ = (id) => document.getElementById(id);

// api sends a request with the token and keeps the token the response
// brings, if any; it resolves to the status and the JSON body (or null).
async function api(method, path, form) {
  const headers = new Headers();
  const token = sessionStorage.getItem(storageKey);
  if (token) headers.set(tokenHeader, token);
  const res = await fetch(path, {
    method,
    headers,
    body: form ? new URLSearchParams(form) : undefined,
    cache: "no-store",
  });
  const next = res.headers.get(tokenHeader);
  if (next !== null) { // present: a new token, or "" to drop it
    if (next) sessionStorage.setItem(storageKey, next);
    else sessionStorage.removeItem(storageKey);
  }
  const body = await res.json().catch(() => null); // 204 has no body
  return { status: res.status, body };
}

function failed(r) {
  const why = r.body && typeof r.body.error === "string" ? ": " + r.body.error : "";
  $("status").textContent = "Request failed (" + r.status + ")" + why;
}

// show reads the count and the user (/api/read and /api/me) and shows them.
async function show() {
  const count = await api("GET", "/api/read");
  if (count.status !== 200) return failed(count);
  $("count").textContent = String(count.body.count);
  const me = await api("GET", "/api/me");
  if (me.status !== 200 && me.status !== 401) return failed(me);
  const user = me.status === 200 ? String(me.body.user) : "";
  $("user").textContent = user;
  $("signed-in").hidden = !user;
  $("login").hidden = !!user;
}

// act sends one request, then shows the session as it now is.
async function act(method, path, form) {
  $("status").textContent = "";
  try {
    const r = await api(method, path, form);
    if (r.status >= 300) return failed(r);
    await show();
  } catch (err) {
    $("status").textContent = "Request failed: " + err.message;
  }
}

$("count-button").addEventListener("click", () => act("GET", "/api/count"));
$("logout").addEventListener("click", () => act("POST", "/api/logout"));
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  act("POST", "/api/login", new FormData(form)).then(() => form.reset());
});
show().catch((err) => { $("status").textContent = "Request failed: " + err.message; });
</script>
</body>
</html>
`

// staticPage serves the jwt-mode page. It never touches the session: the
// page holds no session data, and its script fetches what it shows.
func (h handlers) staticPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// One address serves either mode's page: have the browser check.
	w.Header().Set("Cache-Control", "no-cache")
	io.WriteString(w, staticPageHTML)
}
