package demo

import (
	"bytes"
	"strings"
	"testing"
)

// contractIDs are the element ids of the contract's page section that
// exist before the per-user index (do-logout-all and sessions come with
// it).
var contractIDs = []string{"transport", "count", "user", "do-count", "login", "do-logout", "status"}

func TestPagesHoldContractIDs(t *testing.T) {
	pages := map[string]string{"static": string(StaticPage("gin"))}
	for _, user := range []string{"", "alice"} {
		var buf bytes.Buffer
		if err := PageTemplate.Execute(&buf, PageData{Framework: "gin", Count: 3, User: user}); err != nil {
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
	if p := pages["cookie, user alice"]; !strings.Contains(p, `<strong id="user">alice</strong>`) || !strings.Contains(p, `<output id="count">3</output>`) {
		t.Errorf("the cookie page does not show the data:\n%s", p)
	}
	if !strings.Contains(pages["static"], `<span id="transport">jwt</span>`) {
		t.Error("the static page does not say jwt")
	}
}

func TestPageEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := PageTemplate.Execute(&buf, PageData{Framework: "<b>", User: `<img src=x onerror=alert(1)>`}); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "<img") || strings.Contains(s, "<b>") {
		t.Errorf("the page does not escape its data:\n%s", s)
	}
}
