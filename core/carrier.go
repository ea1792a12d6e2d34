package sessions

import (
	"net/http"
	"strings"
)

// Carrier is the only view of HTTP that the core needs: it reads a request
// header and the request's cookies of one name, and adds a response header
// and a response cookie. Framework adapters implement it on their own request
// context, without copying headers.
//
// Carrier is frozen: methods will not be added to it.
type Carrier interface {
	// Header returns the first value of the named request header, or "".
	Header(name string) string
	// Cookies returns the values of every request cookie with the given
	// name, in the order the client sent them.
	Cookies(name string) []string
	// AddHeader adds a value to the named response header.
	AddHeader(name, value string)
	// SetCookie adds a Set-Cookie header to the response.
	SetCookie(c *http.Cookie)
}

// HeaderSetter is an optional capability of a Carrier: it replaces the
// values of a response header. With it, a token written twice to one
// response (Save after Save, each with a new token) replaces the first; a
// Carrier without it adds a second header value.
type HeaderSetter interface {
	SetHeader(name, value string)
}

// OriginReporter is an optional capability of a Carrier: it reports how
// the request reached the app, "https" or "http" (as a TLS-terminating
// proxy in front says in X-Forwarded-Proto, should there be one), and the
// host it was sent to (the Host header). The store uses it only to warn,
// once per store, when it sets a Secure cookie on a plain-http request to
// a host that browsers do not treat as secure (not localhost): such a
// cookie never comes back, and every request starts a new session. The
// host is read only when the scheme is "http": a carrier may leave it empty
// for https, so that no request over https pays for it.
type OriginReporter interface {
	Origin() (scheme, host string)
}

// httpCarrier is the net/http Carrier.
type httpCarrier struct {
	r *http.Request
	w http.ResponseWriter
}

var (
	_ Carrier        = (*httpCarrier)(nil)
	_ HeaderSetter   = (*httpCarrier)(nil)
	_ OriginReporter = (*httpCarrier)(nil)
)

// HTTPCarrier returns the Carrier for a net/http request and its response
// writer, for apps that call Store.Load and Store.Save without Middleware.
func HTTPCarrier(w http.ResponseWriter, r *http.Request) Carrier {
	return &httpCarrier{r: r, w: w}
}

func (c *httpCarrier) Header(name string) string { return c.r.Header.Get(name) }

func (c *httpCarrier) Cookies(name string) []string {
	var vals []string
	for _, ck := range c.r.CookiesNamed(name) {
		vals = append(vals, ck.Value)
	}
	return vals
}

func (c *httpCarrier) AddHeader(name, value string) { c.w.Header().Add(name, value) }

func (c *httpCarrier) SetCookie(ck *http.Cookie) { http.SetCookie(c.w, ck) }

func (c *httpCarrier) SetHeader(name, value string) { c.w.Header().Set(name, value) }

func (c *httpCarrier) Origin() (scheme, host string) { return RequestOrigin(c.r) }

// RequestOrigin returns the scheme ("https" or "http") and host of a
// net/http request, for carriers' Origin: https when it came over TLS or
// a proxy's X-Forwarded-Proto (its first value) says https.
func RequestOrigin(r *http.Request) (scheme, host string) {
	scheme = "http"
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(proto), "https") {
		scheme = "https"
	}
	return scheme, r.Host
}
