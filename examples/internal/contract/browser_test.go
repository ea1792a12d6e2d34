package contract_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser drives the demo page of every program, in both transports,
// in a real headless Chromium, as a person would: counting, reloading,
// logging in from two browsers, revoking one from the other, logging out
// everywhere, and a store that goes down under the page and comes back.
// It also checks what only a browser can tell: that the page updates in
// place, that a script cannot read the session cookie (HttpOnly), that in
// jwt mode there is no cookie and the token lives in sessionStorage, that
// no token is ever in the page, and that a form another site submits is
// refused.
//
// One browser runs for the whole test; each program gets tabs in browser
// contexts of their own (as private windows are). The programs reach the
// rig's store (REDICT_URL) through a proxy the test cuts to take the store
// away. SCREENSHOTS=dir writes a PNG of each program's page after login:
// dir/<program>-<transport>.png as a desktop browser shows it, and
// ...-phone.png as the phone of the second tab does.
//
// The test runs before the parallel tests of the package (it is not
// parallel itself; its subtests are, with each other), so that the browser
// has the machine to itself.
func TestBrowser(t *testing.T) {
	store := rigStore(t)
	browser := startBrowser(t, chromium(t))
	start := time.Now()
	t.Cleanup(func() { t.Logf("the browser walks took %v", time.Since(start).Round(100*time.Millisecond)) })
	shots := os.Getenv("SCREENSHOTS")
	eachProgram(t, func(t *testing.T, prog string) {
		eachTransport(t, func(t *testing.T, tr transport) {
			proxy, url := startStoreProxy(t, store)
			a := startApp(t, prog, tr, "REDICT_URL="+url)
			suffix := make([]byte, 3)
			rand.Read(suffix)
			b := &browserWalk{
				a: a, proxy: proxy, user: "ada-" + hex.EncodeToString(suffix), shots: shots,
				first:  newTab(browser, t, "first tab", a.base, false),
				second: newTab(browser, t, "second tab (a phone)", a.base, true),
			}
			steps := []struct {
				name string
				run  func(*browserWalk, *testing.T)
			}{
				{"count", (*browserWalk).count},
				{"login", (*browserWalk).login},
				{"transport", (*browserWalk).transport},
				{"cross-site form", (*browserWalk).crossSite},
				{"store down", (*browserWalk).storeDown},
				{"second browser", (*browserWalk).secondBrowser},
				{"revoke", (*browserWalk).revoke},
				{"logout everywhere", (*browserWalk).logoutAll},
			}
			for _, step := range steps {
				if !t.Run(step.name, func(t *testing.T) { step.run(b, t) }) {
					return // the later steps build on this one
				}
			}
		})
	})
}

// browserWalk is what the browser walk carries from one step to the next.
type browserWalk struct {
	a      *app
	proxy  *storeProxy
	user   string // the user both tabs log in as, of this walk only
	shots  string // SCREENSHOTS: where to write them, "" for nowhere
	first  *tab   // a desktop browser
	second *tab   // a phone
}

// count: a fresh page counts in place, and a reload shows the count.
func (b *browserWalk) count(t *testing.T) {
	tb := b.first
	tb.open(t)
	s := tb.wait(t, want{count: "0", same: true})
	if s.Transport != b.a.tr.name {
		t.Errorf("the page says transport %q, want %q", s.Transport, b.a.tr.name)
	}
	tb.click(t, "#do-count")
	tb.wait(t, want{count: "1", same: true})
	tb.click(t, "#do-count")
	tb.wait(t, want{count: "2", same: true}) // no navigation: updated in place
	tb.reload(t)
	tb.wait(t, want{count: "2"})
}

// login: logging in shows the user, in place, with this session listed;
// a reload shows the same, the list item included.
func (b *browserWalk) login(t *testing.T) {
	tb := b.first
	tb.login(t, b.user)
	s := tb.wait(t, want{count: "2", user: b.user, sessions: 1, same: true})
	if !strings.Contains(s.Sessions[0], "this session") || !strings.Contains(s.Sessions[0], "Headless Chrome on Linux") {
		t.Errorf("the session is listed as %q, want this browser, marked as this session", s.Sessions[0])
	}
	tb.reload(t)
	after := tb.wait(t, want{count: "2", user: b.user, sessions: 1})
	// In cookie mode the server rendered this item and the script the one
	// before: both must read the same.
	if after.Sessions[0] != s.Sessions[0] {
		t.Errorf("after a reload the session is listed as %q, before it as %q", after.Sessions[0], s.Sessions[0])
	}
}

// transport: what a script of the page can reach of the session. In cookie
// mode the browser holds the cookie but no script reads it (HttpOnly); in
// jwt mode there is no cookie and the token lives in sessionStorage. The
// page's markup never holds the cookie or the token.
func (b *browserWalk) transport(t *testing.T) {
	tb := b.first
	st, cookies := tb.storage(t), tb.cookies(t)
	var secret string
	if b.a.tr.jwt() {
		if st.Cookie != "" || len(cookies) > 0 {
			t.Errorf("jwt mode: document.cookie %q and %d cookies in the browser, want none", st.Cookie, len(cookies))
		}
		secret = st.Items["session-token"]
		if strings.Count(secret, ".") != 2 || !strings.HasPrefix(secret, "eyJ") {
			t.Fatalf("jwt mode: sessionStorage holds %d items and no token under session-token", len(st.Items))
		}
		if sid := jwtSID(t, secret); strings.Contains(st.HTML, sid) {
			t.Errorf("the page's markup holds the session id")
		}
	} else {
		for _, c := range cookies {
			if c.Name == cookieName {
				secret = c.Value
				if !c.HTTPOnly || c.SameSite != "Lax" {
					t.Errorf("the browser keeps the session cookie with HttpOnly %v and SameSite %q, want HttpOnly and Lax", c.HTTPOnly, c.SameSite)
				}
			}
		}
		if secret == "" {
			t.Fatalf("cookie mode: the browser holds no %q cookie (%d cookies)", cookieName, len(cookies))
		}
		if strings.Contains(st.Cookie, cookieName+"=") || strings.Contains(st.Cookie, secret) {
			t.Errorf("cookie mode: a script reads the session cookie in document.cookie")
		}
		for k, v := range st.Items {
			if strings.Contains(v, secret) {
				t.Errorf("cookie mode: sessionStorage item %q holds the cookie", k)
			}
		}
	}
	if strings.Contains(st.HTML, secret) {
		t.Errorf("the page's markup holds the session's %s", map[bool]string{true: "token", false: "cookie"}[b.a.tr.jwt()])
	}
	b.a.seen = append(b.a.seen, secret) // the log must not hold it either
}

// crossSite: a page of another origin on the same host, which is the same
// site, so that SameSite=Lax lets the cookie ride along, submits a form
// that would log the user out everywhere. The program refuses it by the
// Sec-Fetch-Site header only a real browser sets truthfully, and the
// session lives on.
func (b *browserWalk) crossSite(t *testing.T) {
	target := b.a.base + "/api/logout-all"
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s"></form><script>document.forms[0].submit()</script>`, target)
	}))
	defer other.Close()
	tb := b.first
	tb.run(t, "open another site", chromedp.Navigate(other.URL))
	deadline := time.Now().Add(waitTimeout)
	for eval[string](t, tb, `document.readyState === "complete" ? location.href : ""`) != target {
		if time.Now().After(deadline) {
			t.Fatalf("the other site's form did not land on %s within %v", target, waitTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.open(t)
	tb.wait(t, want{count: "2", user: b.user, sessions: 1, same: true})
}

// storeDown: with the store gone the page says so, and keeps showing the
// user and the count rather than a guest's page; a reload shows the page
// still, saying so, with no state rather than a wrong one (cookie mode: a
// 503 page, not a JSON error). Once the store is back the page recovers by
// itself, and counting goes on from where it was.
func (b *browserWalk) storeDown(t *testing.T) {
	const down = "The session store is unavailable"
	tb := b.first
	b.proxy.cut()
	tb.click(t, "#do-count")
	tb.wait(t, want{count: "2", user: b.user, sessions: 1, status: down, same: true})
	tb.reload(t)
	tb.wait(t, want{unknown: true, status: down, same: true})
	b.proxy.restore()
	tb.wait(t, want{count: "2", user: b.user, sessions: 1, same: true}) // by itself; the status line clears
	tb.click(t, "#do-count")
	tb.wait(t, want{count: "3", user: b.user, sessions: 1, same: true})
}

// secondBrowser: the same user logs in from a second browser (a phone);
// both list the two sessions, each marking its own.
func (b *browserWalk) secondBrowser(t *testing.T) {
	ph := b.second
	ph.open(t)
	ph.wait(t, want{count: "0", same: true})
	ph.login(t, b.user)
	s := ph.wait(t, want{count: "0", user: b.user, sessions: 2, same: true})
	b.wantDevices(t, ph, s, "Safari on iOS", "Headless Chrome on Linux")

	b.first.click(t, "#do-count") // every action shows the new state, the list too
	s = b.first.wait(t, want{count: "4", user: b.user, sessions: 2, same: true})
	b.wantDevices(t, b.first, s, "Headless Chrome on Linux", "Safari on iOS")
	if b.shots != "" {
		ph.screenshot(t, b.shots, b.a.prog+"-"+b.a.tr.name+"-phone")
		b.first.screenshot(t, b.shots, b.a.prog+"-"+b.a.tr.name)
	}
}

// wantDevices checks that the list of s names this browser as mine,
// marked as this session, and the other one as theirs.
func (b *browserWalk) wantDevices(t *testing.T, tb *tab, s pageState, mine, theirs string) {
	t.Helper()
	var gotMine, gotTheirs bool
	for _, item := range s.Sessions {
		current := strings.Contains(item, "this session")
		gotMine = gotMine || current && strings.Contains(item, mine)
		gotTheirs = gotTheirs || !current && strings.Contains(item, theirs) && strings.Contains(item, "Revoke")
	}
	if !gotMine || !gotTheirs {
		t.Errorf("%s lists %q, want %s as this session and %s with a Revoke button", tb.name, s.Sessions, mine, theirs)
	}
}

// revoke: the phone revokes the desktop's session; the desktop finds
// itself signed out at its next action, and says why.
func (b *browserWalk) revoke(t *testing.T) {
	ph, desk := b.second, b.first
	ph.click(t, "#sessions li:not([aria-current]) button")
	ph.wait(t, want{count: "0", user: b.user, sessions: 1, same: true})
	desk.click(t, "#do-count") // counts in a fresh session
	desk.wait(t, want{count: "1", status: "You have been signed out", same: true})
}

// logoutAll: the desktop logs in again and logs out everywhere: it shows
// a fresh page, with no complaint, and so does a reload; the phone finds
// itself signed out at its next action.
func (b *browserWalk) logoutAll(t *testing.T) {
	ph, desk := b.second, b.first
	desk.login(t, b.user)
	desk.wait(t, want{count: "1", user: b.user, sessions: 2, same: true})
	desk.click(t, "#do-logout-all")
	desk.wait(t, want{count: "0", same: true})
	ph.click(t, "#do-count")
	ph.wait(t, want{count: "1", status: "You have been signed out", same: true})
	desk.reload(t)
	desk.wait(t, want{count: "0"})
	if st := desk.storage(t); len(st.Items) > 0 || st.Cookie != "" {
		t.Errorf("after logging out everywhere the page keeps %d sessionStorage items and cookie %q", len(st.Items), st.Cookie)
	}
	for _, c := range desk.cookies(t) {
		if c.Name == cookieName {
			t.Errorf("after logging out everywhere the browser keeps the session cookie")
		}
	}
}
