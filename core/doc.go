// Package sessions provides server-side HTTP sessions stored in Redict (or
// Redis/Valkey), with one API for every Go web framework.
//
// The client holds only a session id, carried either in an encrypted cookie
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
//   - Ids are 256 random bits; the store keys are SHA-256 hashes of them, so
//     the raw id is never stored. An id that is not in the store is never
//     adopted.
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
//     was lost): each leaves its reply under a short-lived journal key, so a
//     retry is recognised however many writes came in between. Saves never
//     create keys: only a create and Renew do.
//   - Every step on a session touches keys of one hash slot, so the store
//     runs on a Cluster.
package sessions
