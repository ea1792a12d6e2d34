package sessions

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

// Defaults of JWTOptions.
const (
	DefaultJWTHeader      = "Session-Token"
	DefaultJWTLeeway      = 5 * time.Second
	DefaultMaxTokenLength = 4096
	// JWTType is the typ header of every token issued, and the only one
	// accepted, so that no other JWT signed with the same key passes for a
	// session token.
	JWTType = "session+jwt"
)

// JWT signing algorithms supported by JWTKey.
const (
	HS256 = "HS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// JWTKey is one key of a JWTOptions key ring.
type JWTKey struct {
	// ID is the key's kid header. When empty, a kid is derived from the
	// key itself (a short hash of the secret or public key), so that a
	// ring can grow from one key to several without logging anyone out.
	// A key also answers to its derived kid when it has an ID, so that
	// naming a key in use logs nobody out either. IDs, given or derived,
	// must be distinct within a ring.
	ID string

	// Algorithm is HS256 (the default), ES256 or EdDSA. A token verifies
	// only with a key of its own algorithm.
	Algorithm string

	// Secret is the HS256 key, at least 32 bytes.
	Secret []byte

	// PrivateKey signs ES256 (*ecdsa.PrivateKey on P-256) or EdDSA
	// (ed25519.PrivateKey) tokens. Required for the first key of the ring
	// when it is asymmetric.
	PrivateKey crypto.Signer

	// PublicKey verifies ES256 (*ecdsa.PublicKey) or EdDSA
	// (ed25519.PublicKey) tokens. Derived from PrivateKey when nil.
	PublicKey crypto.PublicKey
}

// JWTOptions configures the JWT transport: the client receives a signed JWT
// in a response header and sends it back in a request header; its sid claim
// is the session id. The zero value of every field but Keys means the
// documented default.
type JWTOptions struct {
	// Keys sign and verify tokens: the first signs, every one verifies, so
	// a new key can be put first while tokens signed with an old one still
	// work; such a token is reissued with the first key on its next use.
	// Keep an old key in the ring for at least IdleTimeout + Leeway after
	// it stopped signing: a token not used meanwhile lives that long.
	// Every token issued names its key in kid; a token whose kid names no
	// key of the ring is refused, and one without a kid is tried only
	// against the ring's one key without an ID, when there is exactly
	// one. Required.
	Keys []JWTKey

	// Header is the request and response header that carries the token.
	// Default "Session-Token".
	Header string

	// AcceptBearer also reads the token from "Authorization: Bearer ..."
	// when Header is absent from the request.
	AcceptBearer bool

	// Issuer is the iss claim issued and required. Default none.
	Issuer string

	// Audience is the aud claim issued and required. Default none.
	Audience string

	// Leeway tolerates clock skew on exp, nbf and iat. Default 5 seconds;
	// at most one minute.
	Leeway time.Duration

	// RefreshWindow: a token is reissued, on a request that uses the
	// session, when its expiry comes within this window (besides when the
	// session is new or renewed). A token's exp is the idle deadline at
	// its issue and cannot follow each use without a reissue on every
	// request, so a client idle for longer than RefreshWindow may find its
	// token expired while the session still lives: the JWT idle timeout is
	// between RefreshWindow and IdleTimeout. Default three quarters of
	// StoreOptions.IdleTimeout (a reissue at most every quarter of it); at
	// most IdleTimeout.
	RefreshWindow time.Duration

	// MaxTokenLength caps the token length checked before any parsing.
	// Default 4096 bytes; it may not be shorter than the tokens the store
	// issues.
	MaxTokenLength int
}

// NewJWTStore returns a Store whose clients carry the session id in the sid
// claim of a signed JWT sent in a header. Sessions and the API are the same
// as with NewCookieStore, so an app switches transport by switching
// constructor. It refuses invalid options.
func NewJWTStore(client redis.UniversalClient, so StoreOptions, jo JWTOptions) (*Store, error) {
	st, err := newStore(client, so)
	if err != nil {
		return nil, err
	}
	st.tr, err = newJWTTransport(jo, st.opts.IdleTimeout, st.opts.AbsoluteTimeout, st.now)
	if err != nil {
		return nil, err
	}
	return st.startCache()
}

// jwtKey is a checked ring key.
type jwtKey struct {
	id      string // the kid: given, or derived from the key
	derived string // the kid derived from the key, which it also answers to
	unnamed bool   // no ID was given
	method  jwt.SigningMethod
	sign    any // secret or private key; nil for a verify-only key
	verify  any // secret or public key
}

type jwtTransport struct {
	opts     JWTOptions
	keys     []jwtKey
	kidless  int // index of the one unnamed key that kid-less tokens try, or -1
	idle     time.Duration
	lifetime time.Duration
	parser   *jwt.Parser
	varyOn   string
}

// sessionClaims are the claims of a session token.
type sessionClaims struct {
	SID string `json:"sid"`
	jwt.RegisteredClaims
}

func newJWTTransport(o JWTOptions, idle, lifetime time.Duration, now func() time.Time) (*jwtTransport, error) {
	if o.Header == "" {
		o.Header = DefaultJWTHeader
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultJWTLeeway
	}
	if o.RefreshWindow == 0 {
		o.RefreshWindow = idle / 4 * 3
	}
	if o.MaxTokenLength == 0 {
		o.MaxTokenLength = DefaultMaxTokenLength
	}
	switch {
	case len(o.Keys) == 0:
		return nil, fmt.Errorf("%w: JWTOptions.Keys is empty", ErrInvalidOptions)
	case !validCookieName(o.Header) || reservedHeader(o.Header):
		return nil, fmt.Errorf("%w: JWTOptions.Header is not a valid custom header name", ErrInvalidOptions)
	case o.Leeway < 0 || o.Leeway > time.Minute:
		return nil, fmt.Errorf("%w: JWTOptions.Leeway must be within 0 and 1m", ErrInvalidOptions)
	case o.RefreshWindow < 0 || o.RefreshWindow > idle:
		return nil, fmt.Errorf("%w: JWTOptions.RefreshWindow must be within 0 and IdleTimeout", ErrInvalidOptions)
	case o.MaxTokenLength < 0:
		return nil, fmt.Errorf("%w: JWTOptions.MaxTokenLength must not be negative", ErrInvalidOptions)
	}
	t := &jwtTransport{opts: o, idle: idle, lifetime: lifetime, varyOn: o.Header}
	if o.AcceptBearer {
		t.varyOn += ", Authorization"
	}
	algs := map[string]bool{}
	ids := map[string]bool{}
	t.kidless = -1
	unnamed := 0
	for i, k := range o.Keys {
		jk, err := checkJWTKey(k, i == 0)
		if err != nil {
			return nil, fmt.Errorf("%w: JWT key %d: %s", ErrInvalidOptions, i, err)
		}
		if ids[jk.id] || ids[jk.derived] {
			return nil, fmt.Errorf("%w: JWT key %d: duplicate ID (or the same key twice, or an ID that is another key's derived one)", ErrInvalidOptions, i)
		}
		ids[jk.id], ids[jk.derived] = true, true
		if jk.unnamed {
			unnamed++
			t.kidless = i
		}
		algs[jk.method.Alg()] = true
		t.keys = append(t.keys, jk)
	}
	if unnamed != 1 {
		t.kidless = -1
	}
	var methods []string
	for alg := range algs {
		methods = append(methods, alg)
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(o.Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(now),
	}
	if o.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(o.Issuer))
	}
	if o.Audience != "" {
		popts = append(popts, jwt.WithAudience(o.Audience))
	}
	t.parser = jwt.NewParser(popts...)
	// The longest token the store issues: its sid and jti have fixed
	// lengths, and times have 10 digits until 2286.
	if longest := len(t.sign(credential{}, time.Unix(1e10-1, 0), time.Time{})); o.MaxTokenLength < longest {
		return nil, fmt.Errorf("%w: JWTOptions.MaxTokenLength %d is shorter than the %d-byte tokens the store issues", ErrInvalidOptions, o.MaxTokenLength, longest)
	}
	return t, nil
}

// deriveKID names a key without an ID by a short hash of its material:
// stable across restarts, different for every key, and of no help to
// anyone who wants the key.
func deriveKID(material []byte) string {
	sum := sha256.Sum256(append([]byte("gosessions jwt kid v1\x00"), material...))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// reservedHeader reports whether name is a standard header that the token
// must not take over (the response's SetHeader would replace it).
func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Cookie", "Set-Cookie", "Content-Type", "Content-Length", "Content-Encoding",
		"Transfer-Encoding", "Host", "Connection", "Upgrade", "Te", "Trailer", "Keep-Alive",
		"Proxy-Authorization", "Proxy-Authenticate", "Vary", "Cache-Control", "Expires", "Pragma",
		"Location", "Origin", "Referer", "Access-Control-Expose-Headers", "Access-Control-Allow-Origin",
		"Access-Control-Allow-Headers", "Access-Control-Allow-Credentials", "Www-Authenticate", "Date":
		return true
	}
	return false
}

// checkJWTKey validates a ring key; signer says it must be able to sign.
func checkJWTKey(k JWTKey, signer bool) (jwtKey, error) {
	jk, err := checkJWTKeyMaterial(k, signer)
	if err != nil {
		return jk, err
	}
	material := k.Secret
	if jk.method.Alg() != HS256 {
		material, err = x509.MarshalPKIXPublicKey(jk.verify)
		if err != nil {
			return jk, fmt.Errorf("cannot derive a key ID: %w", err)
		}
	}
	jk.derived = deriveKID(material)
	jk.id, jk.unnamed = k.ID, k.ID == ""
	if jk.unnamed {
		jk.id = jk.derived
	}
	return jk, nil
}

// checkJWTKeyMaterial validates a ring key's algorithm and keys.
func checkJWTKeyMaterial(k JWTKey, signer bool) (jwtKey, error) {
	var jk jwtKey
	switch k.Algorithm {
	case "", HS256:
		if len(k.Secret) < MinSecretLen {
			return jk, fmt.Errorf("HS256 secret shorter than %d bytes", MinSecretLen)
		}
		if k.PrivateKey != nil || k.PublicKey != nil {
			return jk, fmt.Errorf("HS256 takes a Secret, not a key pair")
		}
		jk.method, jk.sign, jk.verify = jwt.SigningMethodHS256, k.Secret, k.Secret
		return jk, nil
	case ES256:
		jk.method = jwt.SigningMethodES256
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(*ecdsa.PrivateKey)
			if !ok || priv.Curve != elliptic.P256() {
				return jk, fmt.Errorf("ES256 needs an *ecdsa.PrivateKey on P-256")
			}
			jk.sign, jk.verify = priv, &priv.PublicKey
		}
		if k.PublicKey != nil {
			pub, ok := k.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve != elliptic.P256() {
				return jk, fmt.Errorf("ES256 needs an *ecdsa.PublicKey on P-256")
			}
			jk.verify = pub
		}
	case EdDSA:
		jk.method = jwt.SigningMethodEdDSA
		if k.PrivateKey != nil {
			pub, ok := k.PrivateKey.Public().(ed25519.PublicKey)
			if !ok {
				return jk, fmt.Errorf("EdDSA needs an ed25519 private key")
			}
			jk.sign, jk.verify = k.PrivateKey, pub
		}
		if k.PublicKey != nil {
			pub, ok := k.PublicKey.(ed25519.PublicKey)
			if !ok {
				return jk, fmt.Errorf("EdDSA needs an ed25519.PublicKey")
			}
			jk.verify = pub
		}
	default:
		return jk, fmt.Errorf("unsupported algorithm (use HS256, ES256 or EdDSA)")
	}
	if len(k.Secret) > 0 {
		return jk, fmt.Errorf("%s takes a key pair, not a Secret", k.Algorithm)
	}
	if k.PrivateKey != nil && k.PublicKey != nil {
		pub, ok := k.PrivateKey.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(k.PublicKey) {
			return jk, fmt.Errorf("PublicKey does not match PrivateKey")
		}
	}
	if jk.verify == nil {
		return jk, fmt.Errorf("%s needs a PrivateKey or a PublicKey", k.Algorithm)
	}
	if signer && jk.sign == nil {
		return jk, fmt.Errorf("the first key signs: it needs a PrivateKey")
	}
	return jk, nil
}

// token reads the raw token from the request.
func (t *jwtTransport) token(c Carrier) string {
	tok := c.Header(t.opts.Header)
	if tok == "" && t.opts.AcceptBearer {
		auth := c.Header("Authorization")
		if len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
			tok = strings.TrimSpace(auth[7:])
		}
	}
	return tok
}

// keyFor picks the verification key for a parsed token header: the kid
// must name a key of the ring, whose algorithm must be the token's.
func (t *jwtTransport) keyFor(tok *jwt.Token) (any, error) {
	if typ, _ := tok.Header["typ"].(string); typ != JWTType {
		return nil, jwt.ErrTokenUnverifiable
	}
	kid, hasKid := tok.Header["kid"]
	id, ok := kid.(string)
	if hasKid && !ok {
		return nil, jwt.ErrTokenUnverifiable
	}
	var key *jwtKey
	if !hasKid {
		if t.kidless < 0 {
			return nil, jwt.ErrTokenUnverifiable
		}
		key = &t.keys[t.kidless]
	} else {
		// A key answers to its ID and to the kid derived from it, so that
		// naming a key in use (an ID added to the one key of a ring, or to
		// both keys at the first rotation) keeps its tokens valid.
		for i := range t.keys {
			if t.keys[i].id == id || t.keys[i].derived == id {
				key = &t.keys[i]
				break
			}
		}
	}
	if key == nil {
		return nil, jwt.ErrTokenUnverifiable
	}
	if key.method.Alg() != tok.Method.Alg() {
		return nil, jwt.ErrTokenSignatureInvalid
	}
	return key.verify, nil
}

// parse verifies a token and returns its sid and expiry, whether a key
// other than the signing one verified it (old), or why it was refused.
// Times are checked against the store's clock.
func (t *jwtTransport) parse(tok string) (id credential, exp time.Time, old bool, refusal string) {
	switch {
	case tok == "":
		return id, exp, false, "empty"
	case len(tok) > t.opts.MaxTokenLength:
		return id, exp, false, "too long"
	}
	var claims sessionClaims
	parsed, err := t.parser.ParseWithClaims(tok, &claims, t.keyFor)
	if err != nil {
		return id, exp, false, jwtRefusal(err)
	}
	id, ok := parseCredential(claims.SID)
	if !ok || claims.ExpiresAt == nil || claims.IssuedAt == nil {
		return id, exp, false, "bad claims"
	}
	exp = claims.ExpiresAt.Time
	// No token may outlive the longest session it could name.
	if exp.Sub(claims.IssuedAt.Time) > t.lifetime+t.opts.Leeway {
		return id, time.Time{}, false, "lives too long"
	}
	kid, _ := parsed.Header["kid"].(string)
	return id, exp, kid != t.keys[0].id, ""
}

// jwtRefusal names why the parser refused a token.
func jwtRefusal(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unknown key or type"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong issuer or audience"
	}
	return "bad claims"
}

func (t *jwtTransport) read(c Carrier, now time.Time) (token, string, bool) {
	raw := t.token(c)
	if raw == "" {
		return token{}, "", false
	}
	id, exp, old, refusal := t.parse(raw)
	if refusal != "" {
		return token{}, refusal, false
	}
	// A token of an old key is reissued with the first one on its next
	// use, as a cookie sealed with an old secret is.
	return token{id: id, rewrite: old || exp.Sub(now) < t.opts.RefreshWindow}, "", true
}

// present reports whether the request carries a token header at all.
func (t *jwtTransport) present(c Carrier) bool { return t.token(c) != "" }

// write issues a token whose exp is the session's idle deadline, never past
// its absolute deadline. The RememberMe choice does not apply to tokens.
func (t *jwtTransport) write(c Carrier, id credential, deadline, now time.Time, _ persistChoice) {
	exp := now.Add(t.idle)
	if exp.After(deadline) {
		exp = deadline
	}
	t.header(c, t.sign(id, now, exp))
}

// sign returns a token for id issued at now, expiring at exp (with a zero
// exp, at now plus the idle timeout).
func (t *jwtTransport) sign(id credential, now, exp time.Time) string {
	if exp.IsZero() {
		exp = now.Add(t.idle)
	}
	claims := sessionClaims{
		SID: id.String(),
		RegisteredClaims: jwt.RegisteredClaims{
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        rand.Text(),
			Issuer:    t.opts.Issuer,
		},
	}
	if t.opts.Audience != "" {
		claims.Audience = jwt.ClaimStrings{t.opts.Audience}
	}
	k := t.keys[0]
	tok := jwt.NewWithClaims(k.method, claims)
	tok.Header["typ"] = JWTType
	tok.Header["kid"] = k.id
	s, err := tok.SignedString(k.sign)
	if err != nil {
		// Keys are checked at construction; signing cannot fail but for
		// a broken crypto.Signer. Send no token rather than a bad one.
		return ""
	}
	return s
}

// clear tells the client to drop its token: the header is sent empty.
func (t *jwtTransport) clear(c Carrier) { t.header(c, "") }

func (t *jwtTransport) header(c Carrier, value string) {
	if hs, ok := c.(HeaderSetter); ok {
		// A second token written to the same response replaces the
		// first: two values would read as one broken token.
		hs.SetHeader(t.opts.Header, value)
	} else {
		c.AddHeader(t.opts.Header, value)
	}
	c.AddHeader("Access-Control-Expose-Headers", t.opts.Header)
}

func (t *jwtTransport) vary() string { return t.varyOn }
