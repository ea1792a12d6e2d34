package sessions

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults applied to zero fields of StoreOptions.
const (
	DefaultKeyPrefix       = "session:"
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 24 * time.Hour
	DefaultMaxSize         = 64 << 10
	DefaultTimeout         = 2 * time.Second
)

// StoreOptions configures the server-side part of a Store. The zero value of
// every field means the documented default.
type StoreOptions struct {
	// KeyPrefix starts every Redict key the store writes. Default
	// "session:". It may not hold braces (a hash tag follows it).
	KeyPrefix string

	// IdleTimeout ends a session that is not used for this long; use
	// refreshes it (rolling expiry, see RefreshInterval). Default 30
	// minutes, or AbsoluteTimeout when that is set shorter; at most 100
	// years.
	IdleTimeout time.Duration

	// AbsoluteTimeout ends a session this long after it was created, however
	// active it is. Renew keeps the deadline. Default 24 hours, or
	// IdleTimeout when that is set longer; it may not be shorter than
	// IdleTimeout.
	AbsoluteTimeout time.Duration

	// RefreshInterval: a request that only reads a session writes its idle
	// refresh (TTL and last-seen time) at most once per interval, so that
	// most reads cost one plain HGETALL; every write refreshes too. A
	// session may thus end up to one interval before IdleTimeout has
	// passed since its last use. Default IdleTimeout/30, at most one
	// minute; it must be shorter than IdleTimeout.
	RefreshInterval time.Duration

	// MaxSize caps the stored session data in bytes (key names plus encoded
	// values); a save that would pass it fails with ErrTooLarge.
	// Default 64 KiB.
	MaxSize int

	// Timeout bounds every store operation; past it the operation fails with
	// ErrUnavailable. Default 2 seconds; at least MinTimeout (1ms). A
	// client made by NewClient also
	// honours it on the socket; other clients should set
	// ContextTimeoutEnabled or keep their read timeout short.
	Timeout time.Duration

	// Codec encodes session values. Default JSONCodec.
	Codec Codec

	// MaxSessionsPerUser caps the sessions bound to one user (see
	// Session.BindUser): a login past the cap ends that user's oldest
	// sessions, or, with RefuseOverCap, is refused. Default 0: no cap.
	MaxSessionsPerUser int

	// RefuseOverCap makes a BindUser that would pass MaxSessionsPerUser
	// fail with ErrTooManySessions (answered 409) and bind nothing,
	// instead of ending the user's oldest sessions: for licensed seats,
	// or one session per kiosk. The cap then holds exactly under
	// concurrency (the seat is taken in the user's index, atomically,
	// when BindUser is called), and ending or revoking a session frees
	// its seat at once. It needs MaxSessionsPerUser. Default false.
	RefuseOverCap bool

	// LockLease bounds how long Session.Lock's lock is held: a request
	// that holds it longer (or died holding it) loses it, and its next
	// write fails with ErrConflict. Default DefaultLockLease (10s); at
	// least Timeout.
	LockLease time.Duration

	// LockWait bounds how long Session.Lock waits for another request's
	// lock before it fails with ErrLocked. Default DefaultLockWait (5s).
	LockWait time.Duration

	// Optimistic makes every save of a session this request read check
	// that no other request changed it since (its revision): if one did,
	// the save writes nothing and fails with ErrConflict (answered 409),
	// so two tabs never silently undo each other's change of the same key.
	// Increments alone never conflict (they are atomic). Session.Update is
	// the optimistic step for one change without this option. Default off:
	// concurrent saves of different keys all land; of the same key, the
	// last one wins.
	Optimistic bool

	// WaitReplicas makes every write wait, in the same round trip, until
	// this many replicas have it (Redict's WAIT, bounded by Timeout); a
	// write fewer replicas acknowledged fails with ErrUnavailable (it may
	// still be on the primary). It closes the window in which a failover
	// loses acknowledged writes (asynchronous replication) at the cost of
	// a replica's round trip per write. Not for a Cluster client (WAIT
	// has no key to route by). Default 0: no wait.
	WaitReplicas int

	// OnEvent, when set, is called with every lifecycle event (sessions
	// created, renewed, destroyed; tokens refused, and why; sessions
	// missing; store errors and their latency; failed late saves;
	// conflicts), from the request's goroutine: keep it fast. Its
	// context is the request's without the session (FromContext finds
	// none): a hook must not use the session. See LogEvents, and the
	// README for metrics. Default none.
	OnEvent func(ctx context.Context, e Event)

	// LocalCache keeps up to this many session records in this process, so
	// that a request that only reads its session costs no round trip.
	// Redict's server-assisted invalidation (CLIENT TRACKING, broadcast
	// mode on KeyPrefix, on one connection of its own) keeps it coherent:
	// a change, logout or destroy-all made anywhere drops the entry here
	// within one invalidation message, and this process's own writes drop
	// it at once. Timeouts are still checked on every request, and the
	// idle refresh is still written once per RefreshInterval. The cache
	// serves only while the invalidation stream answers (see
	// LocalCacheLag). For a single-node or Sentinel client, not a
	// Cluster. Call Store.Close when done. Default 0: no cache.
	LocalCache int

	// LocalCacheLag bounds how old the last sign of life of the
	// invalidation stream may be for the cache to serve: it is pinged
	// every quarter of it, and when a ping has not come back within it
	// (the connection is cut, or silent), the cache drops every entry and
	// reads go to the store until the stream is back. It is thus the
	// longest a partition that no TCP error reports can leave a change
	// made elsewhere unseen. Default DefaultLocalCacheLag (500ms); at
	// least 10ms.
	LocalCacheLag time.Duration

	// Logger receives what the store cannot return to a caller: a failed
	// save of changes made after the response was committed. Default
	// slog.Default() (at the time of logging). No log line holds an id,
	// a token or a stored value.
	Logger *slog.Logger
}

// Bounds of StoreOptions.
const (
	// MinTimeout is the shortest StoreOptions.Timeout accepted: below it
	// no round trip to a store completes.
	MinTimeout = time.Millisecond
	// MaxLifetime is the longest IdleTimeout or AbsoluteTimeout accepted,
	// so that deadline arithmetic never overflows.
	MaxLifetime = 100 * 365 * 24 * time.Hour
)

// withDefaults returns o with defaults applied, or an error for invalid
// combinations. A timeout left zero follows the one that was set: an
// AbsoluteTimeout set below the default idle timeout brings IdleTimeout
// down to it, an IdleTimeout set above the default absolute lifetime takes
// AbsoluteTimeout up to it.
func (o StoreOptions) withDefaults() (StoreOptions, error) {
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	idleSet, absSet := o.IdleTimeout != 0, o.AbsoluteTimeout != 0
	switch {
	case !idleSet && !absSet:
		o.IdleTimeout, o.AbsoluteTimeout = DefaultIdleTimeout, DefaultAbsoluteTimeout
	case !idleSet:
		o.IdleTimeout = min(DefaultIdleTimeout, o.AbsoluteTimeout)
	case !absSet:
		o.AbsoluteTimeout = max(DefaultAbsoluteTimeout, o.IdleTimeout)
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = min(o.IdleTimeout/30, time.Minute)
	}
	if o.LocalCache > 0 && o.LocalCacheLag == 0 {
		o.LocalCacheLag = DefaultLocalCacheLag
	}
	if o.Codec == nil {
		o.Codec = JSONCodec{}
	}
	if o.LockLease == 0 {
		o.LockLease = DefaultLockLease
	}
	if o.LockWait == 0 {
		o.LockWait = DefaultLockWait
	}
	switch {
	case strings.ContainsAny(o.KeyPrefix, "{}"):
		return o, fmt.Errorf("%w: KeyPrefix must not hold { or }: the store puts a hash tag after it", ErrInvalidOptions)
	case o.IdleTimeout < time.Millisecond:
		return o, fmt.Errorf("%w: IdleTimeout must be at least 1ms", ErrInvalidOptions)
	case o.IdleTimeout > MaxLifetime || o.AbsoluteTimeout > MaxLifetime:
		return o, fmt.Errorf("%w: IdleTimeout and AbsoluteTimeout must be at most 100 years", ErrInvalidOptions)
	case o.AbsoluteTimeout < o.IdleTimeout:
		return o, fmt.Errorf("%w: AbsoluteTimeout %v must not be shorter than IdleTimeout %v", ErrInvalidOptions, o.AbsoluteTimeout, o.IdleTimeout)
	case o.WaitReplicas < 0:
		return o, fmt.Errorf("%w: WaitReplicas must not be negative", ErrInvalidOptions)
	case o.MaxSessionsPerUser < 0:
		return o, fmt.Errorf("%w: MaxSessionsPerUser must not be negative", ErrInvalidOptions)
	case o.RefuseOverCap && o.MaxSessionsPerUser == 0:
		return o, fmt.Errorf("%w: RefuseOverCap needs MaxSessionsPerUser", ErrInvalidOptions)
	case o.LockLease < o.Timeout:
		return o, fmt.Errorf("%w: LockLease %v must not be shorter than Timeout %v", ErrInvalidOptions, o.LockLease, o.Timeout)
	case o.LockWait < 0:
		return o, fmt.Errorf("%w: LockWait must not be negative", ErrInvalidOptions)
	case o.LocalCache < 0:
		return o, fmt.Errorf("%w: LocalCache must not be negative", ErrInvalidOptions)
	case o.LocalCache > 0 && o.LocalCacheLag < 10*time.Millisecond:
		return o, fmt.Errorf("%w: LocalCacheLag must be at least 10ms", ErrInvalidOptions)
	case o.MaxSize < 0:
		return o, fmt.Errorf("%w: MaxSize must not be negative", ErrInvalidOptions)
	case o.Timeout < MinTimeout:
		return o, fmt.Errorf("%w: Timeout must be at least %v", ErrInvalidOptions, MinTimeout)
	case o.RefreshInterval < 0 || o.RefreshInterval >= o.IdleTimeout:
		return o, fmt.Errorf("%w: RefreshInterval must be positive and shorter than IdleTimeout", ErrInvalidOptions)
	}
	return o, nil
}
