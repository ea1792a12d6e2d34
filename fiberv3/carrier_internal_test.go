package sessionsfiber

import (
	"bufio"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// withCtx runs fn with a fiber context for the raw HTTP/1.1 request.
func withCtx(t *testing.T, raw string, fn func(c fiber.Ctx, fctx *fasthttp.RequestCtx)) {
	t.Helper()
	app := fiber.New()
	fctx := &fasthttp.RequestCtx{}
	if err := fctx.Request.Header.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	c := app.AcquireCtx(fctx)
	defer app.ReleaseCtx(c)
	fn(c, fctx)
}

// TestCarrierCookies: every cookie of the name, from every Cookie line, in
// order, and copies that outlive fasthttp's reuse of its buffers.
func TestCarrierCookies(t *testing.T) {
	const raw = "GET / HTTP/1.1\r\nHost: x\r\n" +
		"Cookie: a=1; session=first\r\n" +
		"Cookie: session=\"second\"; b=2; session=\r\n" +
		"Cookie: sessionx=no; session=third\r\n" +
		"Session-Token: tok\r\n\r\n"
	withCtx(t, raw, func(c fiber.Ctx, fctx *fasthttp.RequestCtx) {
		k := &exchange{c: c}
		got := k.Cookies("session")
		tok := k.Header("Session-Token")
		want := []string{"first", "second", "", "third"}
		if !slices.Equal(got, want) {
			t.Fatalf("Cookies(session) = %q, want %q", got, want)
		}
		if again := k.Cookies("session"); !slices.Equal(again, want) {
			t.Errorf("Cookies(session) again = %q, want %q", again, want)
		}
		if k.Cookies("missing") != nil {
			t.Error("Cookies(missing) is not nil")
		}
		// fasthttp reads the next request into the same buffers.
		const next = "GET / HTTP/1.1\r\nHost: x\r\n" +
			"Cookie: a=9; session=XXXXX; session=YYYYYY; session=Z; session=WWWWW\r\n" +
			"Session-Token: NEW\r\n\r\n"
		fctx.Request.Header.Reset()
		if err := fctx.Request.Header.Read(bufio.NewReader(strings.NewReader(next))); err != nil {
			t.Fatal(err)
		}
		if (&exchange{c: c}).Cookies("session")[0] != "XXXXX" {
			t.Fatal("the second request did not parse")
		}
		if !slices.Equal(got, want) || tok != "tok" {
			t.Errorf("after fasthttp reused its buffers: cookies %q, header %q; want %q, tok", got, tok, want)
		}
	})
}

// TestCarrierSetCookie: each Set-Cookie line is net/http's for the cookie,
// byte for byte, one line per cookie, even of one name.
func TestCarrierSetCookie(t *testing.T) {
	cookies := []*http.Cookie{
		{Name: "session", Value: "abc", Path: "/", MaxAge: 86400, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
		{Name: "session", Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
		{Name: "__Host-s", Value: "v", Path: "/", Secure: true, Partitioned: true, SameSite: http.SameSiteNoneMode},
		{Name: "s", Value: "v w", Path: "/app", Domain: ".example.com", SameSite: http.SameSiteStrictMode,
			Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{Name: "bad name", Value: "v"}, // invalid: no line, as http.SetCookie
	}
	withCtx(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", func(c fiber.Ctx, _ *fasthttp.RequestCtx) {
		k := &exchange{c: c}
		for _, ck := range cookies {
			k.SetCookie(ck)
		}
		k.AddHeader("Vary", "Cookie")
		k.SetHeader("Session-Token", "a")
		k.SetHeader("Session-Token", "b")

		// The response as fasthttp writes it, read back by net/http.
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(c.Response().String())), nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, ck := range cookies {
			if v := ck.String(); v != "" {
				want = append(want, v)
			}
		}
		if got := resp.Header.Values("Set-Cookie"); !slices.Equal(got, want) {
			t.Errorf("Set-Cookie lines\n %q\nwant net/http's\n %q", got, want)
		}
		if got := resp.Header.Values("Session-Token"); !slices.Equal(got, []string{"b"}) {
			t.Errorf("Session-Token after two SetHeader = %q, want [b]", got)
		}
		if got := resp.Header.Get("Vary"); got != "Cookie" {
			t.Errorf("Vary = %q, want Cookie", got)
		}
	})
}
