package sessions

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// MinSecretLen is the shortest secret accepted for cookie sealing and for
// HS256 token signing, in bytes.
const MinSecretLen = 32

// DefaultCookieName is the cookie name used when CookieOptions.Name is empty.
const DefaultCookieName = "session"

// CookieOptions configures the cookie transport. The zero value of every
// field but Secrets means the documented, safe default.
type CookieOptions struct {
	// Secrets seal and open the cookie. The first seals; every one opens,
	// so a new secret can be put first while old cookies still work (they
	// are re-sealed with the first secret on their next use). Each must be
	// at least 32 bytes of high-entropy key material. Required.
	Secrets [][]byte

	// Name is the cookie name. Default "session". A name starting with
	// "__Host-" requires Path "/" (or empty), no Domain and Secure.
	Name string

	// Path of the cookie. Default "/".
	Path string

	// Domain of the cookie. Default none (host-only cookie).
	Domain string

	// DisableSecure omits the Secure attribute. Only for plain-http
	// development; the default sends the cookie over https only.
	DisableSecure bool

	// DisableHTTPOnly omits the HttpOnly attribute, exposing the cookie to
	// scripts. The default keeps it from them.
	DisableHTTPOnly bool

	// SameSite of the cookie. Default (zero, or http.SameSiteDefaultMode)
	// is Lax. http.SameSiteNoneMode requires Secure.
	SameSite http.SameSite

	// Partitioned sets the Partitioned attribute (CHIPS). Requires Secure.
	Partitioned bool

	// BrowserSession makes a browser-session cookie (no Max-Age). The
	// default is a persistent cookie whose Max-Age is the time left until
	// the session's absolute deadline; the store enforces the idle timeout.
	// Session.RememberMe overrides it for one session.
	BrowserSession bool
}

// Sealed cookie layout: base64url(version | nonce | AES-256-GCM(id | issued
// | flags)), the additional data binding the cookie name. flags holds the
// session's RememberMe choice.
const (
	cookieVersion  = 2
	cookiePlainLen = credLen + 8 + 1
	cookieRawLen   = 1 + 12 + cookiePlainLen + 16
	cookieValueLen = (cookieRawLen*8 + 5) / 6
	cookieSkew     = time.Minute
)

// cookieTransport carries the session id in a sealed cookie.
type cookieTransport struct {
	opts     CookieOptions
	aeads    []cipher.AEAD
	aad      []byte
	nameEq   string // the name and "=", as in a Cookie header
	lifetime time.Duration

	// warnPlain warns that a Secure cookie went to host over plain http
	// (see OriginReporter); once per transport (warned).
	warnPlain func(host string)
	warned    atomic.Bool
}

func newCookieTransport(o CookieOptions, lifetime time.Duration) (*cookieTransport, error) {
	if len(o.Secrets) == 0 {
		return nil, fmt.Errorf("%w: CookieOptions.Secrets is empty", ErrInvalidOptions)
	}
	if o.Name == "" {
		o.Name = DefaultCookieName
	}
	if o.Path == "" {
		o.Path = "/"
	}
	if o.SameSite == 0 || o.SameSite == http.SameSiteDefaultMode {
		o.SameSite = http.SameSiteLaxMode
	}
	secure := !o.DisableSecure
	switch {
	case !validCookieName(o.Name):
		return nil, fmt.Errorf("%w: CookieOptions.Name is not a valid cookie name", ErrInvalidOptions)
	case !strings.HasPrefix(o.Path, "/") || !validAttr(o.Path):
		return nil, fmt.Errorf("%w: CookieOptions.Path must start with / and hold no ; or control characters", ErrInvalidOptions)
	case o.Domain != "" && !keepsDomain(o.Domain):
		return nil, fmt.Errorf("%w: CookieOptions.Domain is not a valid cookie domain (net/http would drop it)", ErrInvalidOptions)
	case o.SameSite == http.SameSiteNoneMode && !secure:
		return nil, fmt.Errorf("%w: SameSite=None requires Secure", ErrInvalidOptions)
	case o.Partitioned && !secure:
		return nil, fmt.Errorf("%w: Partitioned requires Secure", ErrInvalidOptions)
	case strings.HasPrefix(o.Name, "__Host-") && (!secure || o.Domain != "" || o.Path != "/"):
		return nil, fmt.Errorf("%w: a __Host- cookie requires Secure, Path / and no Domain", ErrInvalidOptions)
	case strings.HasPrefix(o.Name, "__Secure-") && !secure:
		return nil, fmt.Errorf("%w: a __Secure- cookie requires Secure", ErrInvalidOptions)
	}
	t := &cookieTransport{opts: o, lifetime: lifetime, nameEq: o.Name + "="}
	for i, secret := range o.Secrets {
		if len(secret) == 0 {
			return nil, fmt.Errorf("%w: cookie secret %d is empty (is its environment variable set?)", ErrInvalidOptions, i)
		}
		if len(secret) < MinSecretLen {
			return nil, fmt.Errorf("%w: cookie secret %d is shorter than %d bytes", ErrInvalidOptions, i, MinSecretLen)
		}
		key, err := hkdf.Key(sha256.New, secret, nil, "gosessions cookie v1 aes-256-gcm", 32)
		if err != nil {
			return nil, fmt.Errorf("%w: cookie key derivation: %w", ErrInvalidOptions, err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("%w: cookie cipher: %w", ErrInvalidOptions, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: cookie cipher: %w", ErrInvalidOptions, err)
		}
		t.aeads = append(t.aeads, aead)
	}
	t.aad = append([]byte("gosessions cookie v1\x00"), o.Name...)
	return t, nil
}

// keepsDomain reports whether net/http sends domain as a cookie's Domain
// attribute; it silently drops (and logs) one it finds invalid.
func keepsDomain(domain string) bool {
	if !validAttr(domain) {
		return false
	}
	ck := http.Cookie{Name: "x", Value: "y", Domain: domain} //nolint:gosec // never sent: it only asks net/http whether it keeps domain
	return ck.Valid() == nil && strings.Contains(ck.String(), "; Domain=")
}

// validAttr reports whether a cookie attribute value holds no ";" and no
// control or non-ASCII byte, which net/http would silently drop.
func validAttr(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f || c == ';' {
			return false
		}
	}
	return true
}

func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// seal returns the cookie value for id, issued at now.
func (t *cookieTransport) seal(id credential, now time.Time, persist persistChoice) string {
	var raw [cookieRawLen]byte
	raw[0] = cookieVersion
	nonce := raw[1:13]
	rand.Read(nonce)
	var plain [cookiePlainLen]byte
	copy(plain[:], id[:])
	binary.BigEndian.PutUint64(plain[credLen:], uint64(now.Unix())) //nolint:gosec // a time after 1970: no sign to lose
	plain[credLen+8] = byte(persist)
	t.aeads[0].Seal(raw[13:13], nonce, plain[:], t.aad)
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// open authenticates and decrypts a cookie value. It reports what the
// cookie carries, when it was issued, and whether a key other than the
// first opened it (tok.rewrite). Any malformed, tampered, foreign or stale
// value is refused.
func (t *cookieTransport) open(value string, now time.Time) (tok token, issued time.Time, refusal string) {
	if len(value) != cookieValueLen {
		return tok, issued, "malformed"
	}
	var raw [cookieRawLen]byte
	n, err := base64.RawURLEncoding.Strict().Decode(raw[:], []byte(value))
	if err != nil || n != cookieRawLen || raw[0] != cookieVersion {
		return tok, issued, "malformed"
	}
	var plain [cookiePlainLen]byte
	for i, aead := range t.aeads {
		if _, err := aead.Open(plain[:0], raw[1:13], raw[13:], t.aad); err != nil {
			continue
		}
		issued = time.Unix(int64(binary.BigEndian.Uint64(plain[credLen:])), 0) //nolint:gosec // authenticated plaintext we sealed; a wrapped value is refused below as in the future or expired
		p := persistChoice(plain[credLen+8])
		switch {
		case issued.After(now.Add(cookieSkew)):
			return tok, issued, "issued in the future"
		case now.Sub(issued) > t.lifetime+cookieSkew:
			return tok, issued, "expired"
		case p > persistOff:
			return tok, issued, "malformed"
		}
		copy(tok.id[:], plain[:credLen])
		tok.rewrite, tok.persist = i > 0, p
		return tok, issued, ""
	}
	// No secret opens it: tampered, or sealed with a secret this app
	// lacks (an instance with the wrong SESSION_SECRET, say).
	return tok, issued, "not authentic"
}

// read picks the session id from the request's cookies of our name. Of
// several that authenticate, the most recently issued wins; browsers send
// same-name cookies in no reliable order.
func (t *cookieTransport) read(c Carrier, now time.Time) (token, string, bool) {
	var (
		best       token
		bestIssued time.Time
		found      bool
		refusal    string
	)
	for _, v := range c.Cookies(t.opts.Name) {
		tok, issued, why := t.open(v, now)
		switch {
		case why != "":
			refusal = why
		case !found || issued.After(bestIssued):
			best, bestIssued, found = tok, issued, true
		}
	}
	if found {
		refusal = ""
	}
	return best, refusal, found
}

// present reports whether the request may carry a cookie of our name: a
// look at the Cookie header, parsing nothing (a value holding our name
// only adds a Vary: Cookie).
func (t *cookieTransport) present(c Carrier) bool {
	return strings.Contains(c.Header("Cookie"), t.nameEq)
}

// write sets the cookie for s.
func (t *cookieTransport) write(c Carrier, id credential, deadline, now time.Time, persist persistChoice) {
	ck := t.cookie(t.seal(id, now, persist)) //nolint:gosec // Secure, HttpOnly and SameSite come from CookieOptions, on by default
	if persist == persistOn || (persist == persistDefault && !t.opts.BrowserSession) {
		ck.MaxAge = int((deadline.Sub(now) + time.Second - 1) / time.Second)
		if ck.MaxAge <= 0 {
			ck.MaxAge = -1
		}
	}
	c.SetCookie(ck)
	if ck.Secure && t.warnPlain != nil && !t.warned.Load() {
		if o, ok := c.(OriginReporter); ok && !t.warned.Load() {
			if scheme, host := o.Origin(); scheme == "http" && !secureContext(host) && t.warned.CompareAndSwap(false, true) {
				t.warnPlain(host)
			}
		}
	}
}

// secureContext reports whether browsers treat host (a Host header, with
// or without its port) as a secure context over plain http, and so send
// Secure cookies back to it: localhost, its subdomains and loopback
// addresses.
func secureContext(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clear tells the browser to drop the cookie.
func (t *cookieTransport) clear(c Carrier) {
	ck := t.cookie("") //nolint:gosec // Secure, HttpOnly and SameSite come from CookieOptions, on by default
	ck.MaxAge = -1     // Max-Age=0 on the wire
	c.SetCookie(ck)
}

func (t *cookieTransport) vary() string { return "Cookie" }

func (t *cookieTransport) cookie(value string) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // Secure, HttpOnly and SameSite come from CookieOptions, on by default
		Name:        t.opts.Name,
		Value:       value,
		Path:        t.opts.Path,
		Domain:      t.opts.Domain,
		Secure:      !t.opts.DisableSecure,
		HttpOnly:    !t.opts.DisableHTTPOnly,
		SameSite:    t.opts.SameSite,
		Partitioned: t.opts.Partitioned,
	}
}
