package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// idLen is the length of a session id in bytes: 256 random bits.
const idLen = 32

// idStrLen is the length of a session id in unpadded base64url.
const idStrLen = 43

// sessionID is a raw session id.
type sessionID [idLen]byte

// newID returns a fresh id from crypto/rand (which never fails on supported
// platforms since Go 1.24).
func newID() sessionID {
	var id sessionID
	rand.Read(id[:])
	return id
}

// String returns the id in unpadded base64url.
func (id sessionID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// parseID parses the unpadded base64url form of an id; it refuses anything
// that does not decode to exactly 32 bytes in canonical form.
func parseID(s string) (sessionID, bool) {
	var id sessionID
	if len(s) != idStrLen {
		return id, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(id[:], []byte(s))
	if err != nil || n != idLen {
		return id, false
	}
	return id, true
}

// tagLen is the length of a store key's hash tag: 128 bits of the id's
// SHA-256 in base64url, enough to keep sessions apart, and short, since
// every key holds it.
const tagLen = 22

// storeKey derives the Redict key of a session: the prefix followed by a
// hash tag of the id's SHA-256, in braces, so that the keys a step on the
// session touches (its record, the record's journal) share one hash slot
// of a Cluster. The raw id is never stored.
func storeKey(prefix string, id sessionID) string {
	sum := sha256.Sum256(id[:])
	b := make([]byte, len(prefix)+tagLen+2)
	n := copy(b, prefix)
	b[n] = '{'
	base64.RawURLEncoding.Encode(b[n+1:n+1+tagLen], sum[:16])
	b[len(b)-1] = '}'
	return string(b)
}
