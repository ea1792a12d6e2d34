package sessionsfiber

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	sessions "github.com/gosessions/sessions/core"
)

// carrier is the sessions.Carrier on fasthttp's request and response. It
// is pointer-shaped, so passing it as a Carrier costs no allocation.
//
// fasthttp reuses its buffers once the request is done, and the core may
// keep what the carrier returns for the request's lifetime: every string
// it returns is a copy.
type carrier struct{ c *fiber.Ctx }

var (
	_ sessions.Carrier      = carrier{}
	_ sessions.HeaderSetter = carrier{}
)

func (k carrier) Header(name string) string {
	return string(k.c.Request().Header.Peek(name))
}

// Cookies returns every request cookie of the name, from every Cookie
// header, in order (fasthttp's Header.Cookie returns only the first).
func (k carrier) Cookies(name string) []string {
	var vals []string
	k.c.Request().Header.VisitAllCookie(func(key, value []byte) {
		if string(key) == name {
			vals = append(vals, string(value))
		}
	})
	return vals
}

func (k carrier) AddHeader(name, value string) { k.c.Response().Header.Add(name, value) }

func (k carrier) SetHeader(name, value string) { k.c.Response().Header.Set(name, value) }

// SetCookie adds the line net/http's (*http.Cookie).String writes, byte
// for byte (fasthttp keeps an added Set-Cookie line verbatim, one line per
// call), as http.SetCookie does: an invalid cookie adds nothing.
func (k carrier) SetCookie(ck *http.Cookie) {
	if v := ck.String(); v != "" {
		k.c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
}
