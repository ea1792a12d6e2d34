package contract_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser's window, and the phone a second tab plays.
const (
	desktopWidth, desktopHeight = 1100, 860
	phoneWidth, phoneHeight     = 390, 844
	phoneUserAgent              = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 " +
		"(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// waitTimeout bounds every wait for the page to show something. It is no
// speed test: the page shows a state within milliseconds, and a store
// outage within the page's first retry delay (0.5s).
const waitTimeout = 15 * time.Second

// chromium returns the path of the browser: $CHROMIUM, or chromium (Debian's
// package), chromium-browser or google-chrome on $PATH. Without one it
// skips the test, or fails it when SESSIONS_REQUIRE_BROWSER or
// SESSIONS_REQUIRE_STORE is set (scripts/test.sh sets both, and installs
// chromium when it runs as root).
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	if p := os.Getenv("CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no browser: none of %s found (Debian: apt-get install chromium)", strings.Join(names, ", "))
	for _, v := range []string{"SESSIONS_REQUIRE_BROWSER", "SESSIONS_REQUIRE_STORE"} {
		if os.Getenv(v) != "" {
			t.Fatalf("%s, but %s is set", msg, v)
		}
	}
	t.Skip(msg)
	return ""
}

// startBrowser starts one headless Chromium for the whole test, with a
// fresh profile (chromedp makes one and removes it), and stops it when the
// test ends. Tabs are contexts of it (newTab).
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container has no user namespace
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(desktopWidth, desktopHeight),
	)
	var out syncBuffer
	opts = append(opts, chromedp.CombinedOutput(&out))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	return ctx
}

// tab is one tab of the browser, in a browser context of its own (as a
// private window is: its own cookies and storage), on one program.
type tab struct {
	name  string // in messages: "first tab", "second tab"
	ctx   context.Context
	base  string
	phone bool // it plays a phone: its viewport and User-Agent
}

// newTab opens a tab in a new browser context of the browser, closed with
// its context when the test ends. A phone tab has a phone's viewport and
// User-Agent.
func newTab(browser context.Context, t *testing.T, name, base string, phone bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{name: name, ctx: ctx, base: base, phone: phone}
	if err := chromedp.Do(ctx); err != nil { // opens the tab, with no timeout
		t.Fatalf("%s: %v", name, err)
	}
	if phone {
		tb.run(t, "play a phone", chromedp.Steps(
			chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: phoneUserAgent})
				return err
			}),
		))
	}
	return tb
}

// run runs steps in the tab, failing the test when they do not complete
// within waitTimeout.
func (tb *tab) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression in the tab's page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: evaluating %s: %v", tb.name, expr, err)
	}
	return v
}

// open loads the page and marks the document, so that the state can tell
// whether the page was left or reloaded since (pageState.Marked).
func (tb *tab) open(t *testing.T) {
	t.Helper()
	tb.run(t, "open "+tb.base, chromedp.Navigate(tb.base+"/"))
	tb.mark(t)
}

// reload reloads the page, as a person does, and marks the new document.
func (tb *tab) reload(t *testing.T) {
	t.Helper()
	tb.run(t, "reload", chromedp.Reload())
	if eval[bool](t, tb, "window.browserTestMark === true") {
		t.Fatalf("%s: the reload left the same document", tb.name)
	}
	tb.mark(t)
}

func (tb *tab) mark(t *testing.T) {
	t.Helper()
	eval[bool](t, tb, "window.browserTestMark = true")
}

// click clicks the element sel, as a person does (a mouse click at its
// centre, once it is visible).
func (tb *tab) click(t *testing.T, sel string) {
	t.Helper()
	tb.run(t, "click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// login types name into the login form and submits it with its button.
func (tb *tab) login(t *testing.T, name string) {
	t.Helper()
	tb.run(t, "log in",
		chromedp.SendKeys(chromedp.CSS(`#login input[name="user"]`), name),
		chromedp.Click(chromedp.CSS(`#login button`)),
	)
}

// pageState is what the page shows, read through the contract's element
// ids (and, for the list, the page's marker on the current session).
type pageState struct {
	Page      bool     `json:"page"` // the demo page is loaded (not, say, a JSON answer)
	Marked    bool     `json:"marked"`
	Transport string   `json:"transport"`
	Count     string   `json:"count"`
	User      string   `json:"user"`
	Status    string   `json:"status"`
	Sessions  []string `json:"sessions"` // each item's text, as shown
	Current   int      `json:"current"`  // items marked as this session
	Revoke    int      `json:"revoke"`   // items with a button
	LoginForm bool     `json:"login"`    // the login form is visible
	LogoutBtn bool     `json:"logout"`   // the log out buttons are visible
}

func (s pageState) String() string {
	if !s.Page {
		return "no demo page"
	}
	return fmt.Sprintf("transport %q, count %q, user %q, status %q, sessions %q (%d current, %d revocable), login form shown %v, logout shown %v, same document %v",
		s.Transport, s.Count, s.User, s.Status, s.Sessions, s.Current, s.Revoke, s.LoginForm, s.LogoutBtn, s.Marked)
}

const stateJS = `(() => {
  const $ = (id) => document.getElementById(id);
  if (!$("count")) return { page: false };
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const items = [...document.querySelectorAll("#sessions li")];
  return {
    page: true,
    marked: window.browserTestMark === true,
    transport: $("transport").textContent,
    count: $("count").textContent,
    user: $("user").textContent,
    status: $("status").textContent,
    sessions: items.map((li) => li.innerText.replace(/\s+/g, " ").trim()),
    current: items.filter((li) => li.hasAttribute("aria-current")).length,
    revoke: items.filter((li) => li.querySelector("button")).length,
    login: shown($("login")),
    logout: shown($("do-logout")) && shown($("do-logout-all")),
  };
})()`

// state reads what the page shows.
func (tb *tab) state(t *testing.T) pageState {
	t.Helper()
	return eval[pageState](t, tb, stateJS)
}

// want describes a state the page must come to show.
type want struct {
	count    string
	user     string // "": nobody logged in (the login form shown)
	sessions int    // the user's sessions listed
	status   string // a phrase of the status line; "": the line is empty
	same     bool   // on the document marked before (no navigation since)
	unknown  bool   // the page could not read the state: it shows none (no count, nobody, no login form)
}

func (w want) String() string {
	if w.unknown {
		return fmt.Sprintf("no state (count \"–\", neither the login form nor a user), status %q", w.status)
	}
	return fmt.Sprintf("count %q, user %q, %d sessions, status %q", w.count, w.user, w.sessions, w.status)
}

// holds reports whether s is the state w describes: the contract's
// elements, and a consistent page around them (the login form or the
// logout buttons, one current session and a revoke button on the others).
func (w want) holds(s pageState) bool {
	status := s.Status == ""
	if w.status != "" {
		status = strings.Contains(s.Status, w.status)
	}
	list := len(s.Sessions) == w.sessions && s.Revoke == max(w.sessions-1, 0) && s.Current == min(w.sessions, 1)
	if w.unknown {
		return s.Page && (!w.same || s.Marked) && s.Count == "–" && s.User == "" && status && len(s.Sessions) == 0 &&
			!s.LoginForm && !s.LogoutBtn
	}
	return s.Page && (!w.same || s.Marked) && s.Count == w.count && s.User == w.user && status && list &&
		s.LoginForm == (w.user == "") && s.LogoutBtn == (w.user != "")
}

// wait waits until the page shows w, and returns what it shows.
func (tb *tab) wait(t *testing.T, w want) pageState {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s := tb.state(t)
		if w.holds(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page does not come to show %v within %v; it shows %v", tb.name, w, waitTimeout, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storage is what a script of the page can read of the session, and the
// page's markup.
type storage struct {
	Cookie string            `json:"cookie"` // document.cookie
	Items  map[string]string `json:"items"`  // sessionStorage
	HTML   string            `json:"html"`
}

func (tb *tab) storage(t *testing.T) storage {
	t.Helper()
	return eval[storage](t, tb, `({
  cookie: document.cookie,
  items: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
  html: document.documentElement.outerHTML,
})`)
}

// cookies returns the browser's cookies for the program, as the browser
// keeps them (HttpOnly ones too).
func (tb *tab) cookies(t *testing.T) []*network.Cookie {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.base + "/"}})
	if err != nil {
		t.Fatalf("%s: reading the cookies: %v", tb.name, err)
	}
	return res.Cookies
}

// screenshot writes a PNG of the whole page to dir/name.png, at the tab's
// width and as tall as the page's content.
func (tb *tab) screenshot(t *testing.T, dir, name string) {
	t.Helper()
	width, height, scale := int64(desktopWidth), int64(desktopHeight), 1.0
	opts := []chromedp.EmulateViewportOption{}
	if tb.phone {
		width, height, scale = phoneWidth, phoneHeight, 2
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	full := int64(eval[float64](t, tb, "Math.ceil(document.body.getBoundingClientRect().height)"))
	var png []byte
	tb.run(t, "screenshot",
		chromedp.EmulateViewport(width, full, append(opts, chromedp.EmulateScale(scale))...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			var err error
			png, err = chromedp.CaptureScreenshot()(ctx, t)
			return err
		}),
		chromedp.EmulateViewport(width, height, append(opts, chromedp.EmulateScale(scale))...),
	)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
