package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// The credential and key layout, in one place.
//
// A client's credential is 256 random bits in two halves:
//
//   - the locator L (128 bits), drawn when the session is created and kept
//     for its whole life: the session's store key is derived from it;
//   - the secret S (128 bits), replaced by every Renew.
//
// The store key is KeyPrefix + "{" + tag + "}", where tag is 22
// characters of base64url SHA-256(L) (128 bits): a hash tag, so that on a
// Cluster every step on the session runs in the key's one slot, and never
// L itself, so that a dump of Redict yields no credential. The record
// keeps SHA-256(S)[:16] as its verifier (field _k); every read compares it
// in constant time and every script checks it before it changes anything,
// and a mismatch reads as a missing session. A session's handle (for
// ListSessions) is one more hash of the tag, stable across Renew. No
// session is ever created at a locator a client presented: a new session
// draws a new one.
//
// The per-user index of a user lives under KeyPrefix + "u:{" + tag of the
// user id + "}" (see accounts.go).

// credLen is the length of a credential in bytes; credStrLen in unpadded
// base64url (the JWT's sid claim).
const (
	credLen    = 32
	halfLen    = credLen / 2
	credStrLen = 43
	tagLen     = 22 // a key's hash tag: 128 bits of SHA-256 in base64url
)

// credential is what a client holds: locator, then secret.
type credential [credLen]byte

// newCredential returns the credential of a new session: a fresh locator
// and secret from crypto/rand (which never fails on supported platforms
// since Go 1.24).
func newCredential() credential {
	var c credential
	rand.Read(c[:])
	return c
}

// renewed returns c with a fresh secret, its locator kept.
func (c credential) renewed() credential {
	rand.Read(c[halfLen:])
	return c
}

// String returns the credential in unpadded base64url.
func (c credential) String() string { return base64.RawURLEncoding.EncodeToString(c[:]) }

// parseCredential parses the unpadded base64url form of a credential; it
// refuses anything that does not decode to exactly 32 bytes in canonical
// form.
func parseCredential(s string) (credential, bool) {
	var c credential
	if len(s) != credStrLen {
		return c, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(c[:], []byte(s))
	if err != nil || n != credLen {
		return c, false
	}
	return c, true
}

// verifier is what the record keeps of the credential's secret.
func (c credential) verifier() string {
	sum := sha256.Sum256(c[halfLen:])
	return string(sum[:16])
}

// verifies reports, in constant time, whether stored is c's verifier.
func (c credential) verifies(stored string) bool {
	v := c.verifier()
	return subtle.ConstantTimeCompare([]byte(v), []byte(stored)) == 1
}

// storeKey derives the Redict key of the session c locates.
func storeKey(prefix string, c credential) string {
	sum := sha256.Sum256(c[:halfLen])
	b := make([]byte, len(prefix)+tagLen+2)
	n := copy(b, prefix)
	b[n] = '{'
	base64.RawURLEncoding.Encode(b[n+1:n+1+tagLen], sum[:16])
	b[len(b)-1] = '}'
	return string(b)
}

// keyTag returns the hash tag of a session key (the part in braces).
func keyTag(key string) string {
	i := strings.LastIndexByte(key, '{')
	return key[i+1 : len(key)-1]
}

// tagKey is keyTag's inverse.
func (st *Store) tagKey(tag string) string { return st.opts.KeyPrefix + "{" + tag + "}" }

// handleOf derives a session's handle from its key tag: one more hash,
// so that the handle leads to neither the credential nor the store key.
func handleOf(tag string) string {
	sum := sha256.Sum256([]byte("gosessions handle v1\x00" + tag))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// indexKey is the key of a user's index.
func (st *Store) indexKey(user string) string {
	sum := sha256.Sum256([]byte(user))
	return st.opts.KeyPrefix + "u:{" + base64.RawURLEncoding.EncodeToString(sum[:16]) + "}"
}
