package sessions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Stored record layout (version 3): one hash per session, and nothing
// else: a session is one key for its whole life, under the key
// credential.go derives from its locator. Every step on it is one script
// on that key (atomic, and in one hash slot of a Cluster); after Destroy,
// RevokeSession or DestroyUserSessions the key is gone at once.
//
//	_m  "3.<created>.<deadline>": format version, creation time and
//	    absolute deadline (Unix ms)
//	_k  the verifier: SHA-256 of the credential's secret, 16 bytes
//	_s  last seen (Unix ms): set by every write, and by a read at most
//	    once per RefreshInterval
//	_r  revision, incremented by every write (for optimistic concurrency)
//	_z  size of the data fields in bytes (names plus values)
//	_u  the user the session is bound to, _l the app's label for it
//	    (Session.BindUser; see accounts.go for the per-user index), _a
//	    when that user last proved who they are (Unix ms; BindUser,
//	    Session.Reauthenticated)
//	_x  the session lock (Session.Lock): "<holder>.<lease end, Unix ms>"
//	_j  the retry journal's state: "<horizon>.<oldest>.<count>" (issue
//	    times, Unix µs)
//	_n<nonce>  one journal entry: the reply of the write that carried
//	    nonce ("<issued, Unix µs>.<64 random bits>"), as
//	    "<revision>[,<incr>]"
//	d:K the encoded value of session key K
//	f:T flash message queued at time T (Unix ns, zero-padded), a JSON string
//
// A Renew replaces _k (the old secret dies when its script runs) and
// keeps every other field; a Renew with a binding also writes _u, _l and
// _a, and restarts the absolute lifetime (the deadline in _m).
//
// The key's TTL is min(IdleTimeout, deadline-now), set by every write and
// refresh; the server's expiry enforces both timeouts, so a read is a plain
// HGETALL.
//
// The journal makes every write safe to retry (go-redis resends a command
// whose reply was lost): each write carries a nonce, and the script
// checks, in this order, (1) whether the nonce is in the journal, and then
// answers with the reply kept there; (2) the verifier (a mismatch answers
// as a missing record, and writes nothing); (3) whether the nonce's issue
// time is at or below the horizon, the newest issue time ever pruned from
// the journal: then the write's outcome is unknown (it may have been
// applied, its entry since pruned), and it is refused; (4) the revision
// (Optimistic); then it applies the write and journals its reply. Entries
// are short (every field and value of a small hash under 64 bytes, so
// that Redict keeps it in its compact encoding), and pruned, raising the
// horizon, by age (older than twice Timeout, on writes and refreshes) and
// by count (past journalMax, down to journalKeep, oldest first). A create
// recognises its own retry by the verifier it installed, which nobody else
// holds before its reply; a Renew's write passes under the old verifier
// or the new one (an earlier write of its request may have renewed the
// session, its reply lost), and its own retry is a journal hit.
const (
	recordVersion = "3"
	fieldMeta     = "_m"
	fieldVerifier = "_k"
	fieldSeen     = "_s"
	fieldRev      = "_r"
	fieldSize     = "_z"
	fieldAuth     = "_a"
	fieldLock     = "_x"
	dataPrefix    = "d:"
	flashPrefix   = "f:"
)

// record is a session as read from the store.
type record struct {
	created, seen, deadline time.Time
	user, label             string            // the binding (Session.BindUser)
	authAt                  time.Time         // _a: when user last proved who they are
	verifier                string            // _k
	size                    int               // data size, as stored
	rev                     int64             // revision, as stored
	journal                 bool              // the record holds journal entries
	values                  map[string]string // by field name: "d:K" and "f:T"
	expires                 time.Time         // the key's expiry, as its TTL said at load (local cache only)
}

// parseRecord turns the fields of a stored hash into a record, taking h
// over as its values. An empty hash or a record past its deadline is nil;
// a record of another format is an error.
func parseRecord(h map[string]string, now time.Time, op string) (*record, error) {
	if len(h) == 0 {
		return nil, nil
	}
	created, deadline, ok := parseMeta(h[fieldMeta])
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrIncompatibleRecord, op)
	}
	if !deadline.After(now) {
		return nil, nil // the server's expiry is about to remove it
	}
	rec := &record{created: created, deadline: deadline, seen: msTime(h[fieldSeen]), values: h, verifier: h[fieldVerifier]}
	rec.size, _ = strconv.Atoi(h[fieldSize])
	rec.rev, _ = strconv.ParseInt(h[fieldRev], 10, 64)
	rec.user, rec.label = h[fieldUser], h[fieldLabel]
	if rec.user != "" {
		rec.authAt = msTime(h[fieldAuth])
	}
	for f := range h {
		if strings.HasPrefix(f, "_") {
			rec.journal = rec.journal || strings.HasPrefix(f, "_n")
			delete(h, f)
		}
	}
	return rec, nil
}

// parseMeta reads the _m field: "3.<created ms>.<deadline ms>".
func parseMeta(m string) (created, deadline time.Time, ok bool) {
	v, rest, ok1 := strings.Cut(m, ".")
	c, d, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || v != recordVersion {
		return created, deadline, false
	}
	cn, err1 := strconv.ParseInt(c, 10, 64)
	dn, err2 := strconv.ParseInt(d, 10, 64)
	if err1 != nil || err2 != nil || cn < 0 || dn <= 0 || c == "" || c[0] == '+' || d[0] == '+' {
		return created, deadline, false
	}
	return time.UnixMilli(cn), time.UnixMilli(dn), true
}

// msTime reads a Unix-ms time the scripts return or store as a string.
func msTime(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
