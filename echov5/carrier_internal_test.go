package sessionsecho

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v5"
)

// TestCarrier: the Carrier reads the echo request and writes the echo
// response, SetHeader replacing what AddHeader adds to.
func TestCarrier(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Session-Token", "tok")
	req.Header.Add("Cookie", "session=a; other=x")
	req.Header.Add("Cookie", "session=b")
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	res, err := echo.UnwrapResponse(c.Response())
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange{c: c, res: res}

	if got := x.Header("Session-Token"); got != "tok" {
		t.Errorf("Header = %q", got)
	}
	if got := x.Cookies("session"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Cookies = %q, want [a b]", got)
	}
	if got := x.Cookies("none"); len(got) != 0 {
		t.Errorf("Cookies(none) = %q", got)
	}
	x.AddHeader("Vary", "Cookie")
	x.AddHeader("Vary", "Accept")
	x.SetHeader("Session-Token", "one")
	x.SetHeader("Session-Token", "two")
	x.SetCookie(&http.Cookie{Name: "session", Value: "v"})
	h := rec.Header()
	if !slices.Equal(h.Values("Vary"), []string{"Cookie", "Accept"}) ||
		!slices.Equal(h.Values("Session-Token"), []string{"two"}) ||
		!slices.Equal(h.Values("Set-Cookie"), []string{"session=v"}) {
		t.Errorf("response headers %v", h)
	}
}
