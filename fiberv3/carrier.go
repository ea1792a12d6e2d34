package sessionsfiber

import (
	"bytes"
	"net/http"

	"github.com/gofiber/fiber/v3"

	sessions "github.com/gosessions/sessions/core"
)

// exchange is the per-request state of New: the session, and the
// sessions.Carrier on fasthttp's request and response, in one allocation.
//
// fasthttp reuses its buffers once the request is done, and the core may
// keep what the carrier returns for the request's lifetime: every string
// it returns is a copy.
type exchange struct {
	s       sessions.Session
	c       fiber.Ctx
	name    string   // the cookie name of cookies
	cookies []string // read once: the request does not change
	read    bool
	one     [1]string // cookies' backing array for the usual one cookie
}

var (
	_ sessions.Carrier        = (*exchange)(nil)
	_ sessions.HeaderSetter   = (*exchange)(nil)
	_ sessions.OriginReporter = (*exchange)(nil)
)

func (k *exchange) Header(name string) string {
	return string(k.c.Request().Header.Peek(name))
}

// Cookies returns every request cookie of the name, from every Cookie
// header, in order (fasthttp's Header.Cookie returns only the first).
func (k *exchange) Cookies(name string) []string {
	if k.read && k.name == name {
		return k.cookies
	}
	var vals []string
	if !k.read {
		vals = k.one[:0] // never handed out yet
	}
	for key, value := range k.c.Request().Header.Cookies() {
		if string(key) == name {
			vals = append(vals, string(value))
		}
	}
	if len(vals) == 0 {
		vals = nil
	}
	k.name, k.cookies, k.read = name, vals, true
	return vals
}

func (k *exchange) AddHeader(name, value string) { k.c.Response().Header.Add(name, value) }

func (k *exchange) SetHeader(name, value string) { k.c.Response().Header.Set(name, value) }

// SetCookie adds the line net/http's (*http.Cookie).String writes, byte
// for byte (fasthttp keeps an added Set-Cookie line verbatim, one line per
// call), as http.SetCookie does: an invalid cookie adds nothing.
func (k *exchange) SetCookie(ck *http.Cookie) {
	if v := ck.String(); v != "" {
		k.c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
}

// Origin reports "https" when the request came over TLS or the first
// value of X-Forwarded-Proto says https (the rule of
// sessions.RequestOrigin), else "http" and the Host header (which the store
// reads only for plain http: over https it is left empty, not copied).
func (k *exchange) Origin() (scheme, host string) {
	proto, _, _ := bytes.Cut(k.c.Request().Header.Peek(fiber.HeaderXForwardedProto), []byte(","))
	if k.c.RequestCtx().IsTLS() || bytes.EqualFold(bytes.TrimSpace(proto), []byte("https")) {
		return "https", ""
	}
	return "http", string(k.c.Request().Host())
}
