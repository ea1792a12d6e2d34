// Package sessions provides server-side HTTP sessions stored in Redict (or
// Redis/Valkey), with one API for every Go web framework.
//
// The client holds only a session credential, carried either in an encrypted cookie
// (NewCookieStore, for server-rendered apps) or in the sid claim of a signed
// JWT sent in a request header (NewJWTStore, for client-rendered apps). The
// session data stays server-side in one Redict hash per session.
//
// # Flow
//
// A Store loads a Session lazily from a Carrier (the narrow view of a request
// and its response that the core needs) and saves it back:
//
//	s := store.Load(ctx, carrier)   // no I/O yet
//	n, err := s.Incr("count", 1)     // one round trip
//	err = store.Save(ctx, carrier, s) // writes changes, sets the cookie or token
//
// Plain net/http apps use Middleware, which does both and commits before the
// first byte of the response. Framework adapters live in their own modules
// (sessionsgin, sessionsecho, sessionsfiber, sessionschi).
//
// # Guarantees
//
//   - A credential is 256 random bits: a locator, kept for the session's
//     life, and a secret, replaced by every Renew. The store key is a
//     SHA-256 hash of the locator and the record keeps a SHA-256 hash of
//     the secret, so neither is ever stored. A credential the store does
//     not verify is never adopted: it reads as a missing session.
//   - A session is one key for its whole life, and nothing else (the
//     per-user index aside): a Renew happens in place, and after Destroy
//     the key is gone at once.
//   - Every write leaves a TTL; the TTL never outlives the absolute lifetime.
//   - A request that never touches its session costs no Redict command.
//     A read-only request costs one HGETALL (and, once per
//     StoreOptions.RefreshInterval, one more for the idle refresh).
//   - Saves write only the fields that changed, so concurrent requests that
//     change different keys never lose each other's writes; Incr runs inside
//     Redict.
//   - Bad client input (a tampered, truncated or oversized cookie or token)
//     yields a fresh session, never an error. A store failure yields an error
//     that wraps ErrUnavailable, never an empty session.
//   - Every write is safe to retry (go-redis resends a command whose reply
//     was lost): the record keeps the replies of its recent writes, so a
//     retry is recognised however many writes came in between, and one too
//     late to be recognised is refused, never applied twice. Saves never
//     create keys: only a create does, under a fresh locator.
//   - Every step on a session is one script on its key, so it is atomic and
//     runs on a Cluster.
package sessions
