package sessions_test

import (
	"net/http"
	"strings"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

func TestCookieDomainDropped(t *testing.T) {
	client := testClient(t)
	for _, d := range []string{"example.com:8080", "a..example.com", "exa_mple.com", "example.com.", "*.example.com"} {
		st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t)}, sessions.CookieOptions{Secrets: [][]byte{testSecret()}, Domain: d})
		if err != nil {
			continue
		}
		w := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) })
		line := w.Result().Header.Get("Set-Cookie")
		if !strings.Contains(strings.ToLower(line), "domain=") {
			t.Errorf("Domain %q accepted by the constructor, but net/http drops it: %s", d, redact(line))
		}
	}
	_ = http.Cookie{}
}

func redact(s string) string {
	if i := strings.Index(s, "="); i >= 0 {
		if j := strings.Index(s, ";"); j > i {
			return s[:i+1] + "…" + s[j:]
		}
	}
	return s
}
