package contract_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSameHeaders: every program answers GET /health and GET / with the
// same session headers as nethttp (Vary, Cache-Control, no cookie, no
// token), without a session and with one, in both transports: the
// contract's "the same requests get the same answers" for the headers a
// cache acts on.
func TestSameHeaders(t *testing.T) {
	t.Parallel()
	store := rigStore(t)
	eachTransport(t, func(t *testing.T, tr transport) {
		var mu sync.Mutex
		got := map[string][]string{}
		t.Run("programs", func(t *testing.T) {
			eachProgram(t, func(t *testing.T, prog string) {
				a := startApp(t, prog, tr, "REDICT_URL="+store)
				sess := a.mustToken(t, a.do(t, "GET", "/api/count", "", nil))
				var lines []string
				for _, path := range []string{"/health", "/"} {
					for _, tok := range []string{"", sess} {
						r := a.do(t, "GET", path, tok, nil)
						lines = append(lines, fmt.Sprintf("GET %s with a session %v: %s", path, tok != "", sessionHeaders(r)))
					}
				}
				mu.Lock()
				got[prog] = lines
				mu.Unlock()
			})
		})
		want := got["nethttp"]
		for _, prog := range programs {
			for i, line := range got[prog] {
				if i < len(want) && line != want[i] {
					t.Errorf("%s: %s\n nethttp: %s", prog, line, want[i])
				}
			}
		}
	})
}

// sessionHeaders renders the headers of r that the session middleware
// sets, or that a cache acts on.
func sessionHeaders(r response) string {
	return fmt.Sprintf("status %d, Vary %q, Cache-Control %q, %d Set-Cookie, %s %q",
		r.status, strings.Join(r.header.Values("Vary"), ", "), r.header.Get("Cache-Control"),
		len(r.header.Values("Set-Cookie")), tokenHeader, r.header.Get(tokenHeader))
}
