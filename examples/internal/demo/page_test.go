package demo

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// contractIDs are the element ids of the contract's page section.
var contractIDs = []string{"transport", "count", "user", "do-count", "login", "do-logout", "do-logout-all", "sessions", "status"}

func TestPagesHoldContractIDs(t *testing.T) {
	pages := map[string]string{"static": string(StaticPage("gin")), "outage": string(OutagePage("gin"))}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, user := range []string{"", "alice"} {
		d := PageData{Framework: "gin", Count: 3, User: user}
		if user != "" {
			d.Sessions = []Session{
				{Handle: "h-other", Created: at, LastSeen: at, Label: "Firefox/128.0", Device: "Firefox"},
				{Handle: "h-this", Current: true, Created: at, LastSeen: at},
			}
		}
		var buf bytes.Buffer
		if err := PageTemplate.Execute(&buf, d); err != nil {
			t.Fatal(err)
		}
		pages["cookie, user "+user] = buf.String()
	}
	for name, page := range pages {
		for _, id := range contractIDs {
			if n := strings.Count(page, `id="`+id+`"`); n != 1 {
				t.Errorf("%s page: %d elements with id %q, want 1", name, n, id)
			}
		}
		if !strings.Contains(page, "<title>gosessions: gin demo") {
			t.Errorf("%s page does not name the framework in its title", name)
		}
	}
	p := pages["cookie, user alice"]
	for _, want := range []string{
		`<strong id="user">alice</strong>`, `<output id="count">3</output>`, `id="avatar" aria-hidden="true">a</span>`,
		`<span class="device" title="Firefox/128.0">Firefox</span>`,
		`created <time data-at datetime="2025-03-04T05:06:07Z">2025-03-04 05:06 UTC</time>`,
		`action="/api/sessions/revoke?handle=h-other"`,
		`<li aria-current="true">`, `<span class="badge">this session</span>`,
		`<b id="transport">cookie</b>`,
	} {
		if !strings.Contains(p, want) {
			t.Errorf("the cookie page lacks %s:\n%s", want, p)
		}
	}
	if n := strings.Count(p, "<li"); n != 2 {
		t.Errorf("the cookie page lists %d sessions, want 2:\n%s", n, p)
	}
	if strings.Contains(p, "handle=h-this") {
		t.Errorf("the cookie page offers to revoke the current session:\n%s", p)
	}
	if n := strings.Count(p, `<li aria-current="true">`); n != 1 {
		t.Errorf("the cookie page marks %d sessions as current, want 1:\n%s", n, p)
	}
	if p := pages["cookie, user "]; strings.Contains(p, "<li") || !strings.Contains(p, `<div id="signed-in" hidden>`) {
		t.Errorf("the cookie page lists sessions for nobody:\n%s", p)
	}
	if !strings.Contains(pages["static"], `<b id="transport">jwt</b>`) {
		t.Error("the static page does not say jwt")
	}
}

// The pages that do not know the session's state show neither a count nor
// who is logged in (not a guest's page, which could be wrong), and their
// script reads the state.
func TestPagesWithoutState(t *testing.T) {
	for name, p := range map[string]string{"static": string(StaticPage("gin")), "outage": string(OutagePage("gin"))} {
		p = jsSpaces.Replace(p)
		for _, want := range []string{
			`<output id="count">–</output>`, `<div id="signed-in" hidden>`, `<form id="login" method="post" action="/api/login" hidden>`,
			`const known = false;`, `<main class="grid loading"`,
		} {
			if !strings.Contains(p, want) {
				t.Errorf("the %s page lacks %s", name, want)
			}
		}
	}
	outage := jsSpaces.Replace(string(OutagePage("gin")))
	for _, want := range []string{`<b id="transport">cookie</b>`, `<p id="status" role="alert">` + StoreDownStatus + `</p>`, `const jwt = false;`} {
		if !strings.Contains(outage, want) {
			t.Errorf("the outage page lacks %s:\n%s", want, outage)
		}
	}
	var buf bytes.Buffer
	if err := PageTemplate.Execute(&buf, PageData{Framework: "gin"}); err != nil {
		t.Fatal(err)
	}
	if p := jsSpaces.Replace(buf.String()); !strings.Contains(p, `const known = true;`) || !strings.Contains(p, `const storeDown = "The session store is unavailable`) {
		t.Errorf("the cookie page's script does not know it was rendered with the state, or lacks the store-down words")
	}
}

// jsSpaces undoes the spaces html/template puts around a value in a script
// ("const jwt =  false ;").
var jsSpaces = strings.NewReplacer("=  ", "= ", " ;", ";")

func TestPageEscapes(t *testing.T) {
	var buf bytes.Buffer
	evil := `<img src=x onerror=alert(1)>`
	d := PageData{Framework: "<b>", User: evil, Status: evil,
		Sessions: []Session{{Handle: `"><img src=x>`, Label: evil}}}
	if err := PageTemplate.Execute(&buf, d); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "<img") || strings.Contains(s, "<b>") {
		t.Errorf("the page does not escape its data:\n%s", s)
	}
}
