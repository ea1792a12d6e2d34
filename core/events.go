package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// EventKind names what happened in an Event.
type EventKind uint8

// The kinds of Event.
const (
	// EventCreated: a new session was written to the store.
	EventCreated EventKind = iota + 1
	// EventRenewed: a Renew's new record was written (the old id died).
	EventRenewed
	// EventDestroyed: sessions were destroyed (Destroy, RevokeSession,
	// DestroyUserSessions); Count says how many.
	EventDestroyed
	// EventRefused: the request carried a token that was refused; Reason
	// says why ("not authentic", "expired", "bad signature", "unknown key",
	// ...). Many refusals "not authentic" or "bad signature" from one app
	// instance point at a wrong secret or key, not at users.
	EventRefused
	// EventMissing: the token authenticated, but its session was not in
	// the store (it expired, or was destroyed).
	EventMissing
	// EventStoreError: a store call failed; Op names it, Err is the error
	// (wrapping ErrUnavailable), Duration how long the call took.
	EventStoreError
	// EventLateSaveFailed: changes made after the response was committed
	// were not saved (Err); no response could carry the error.
	EventLateSaveFailed
	// EventConflict: an optimistic save found the session changed.
	EventConflict
)

var eventNames = [...]string{"", "created", "renewed", "destroyed", "refused", "missing", "store error", "late save failed", "conflict"}

// String returns the kind's name, such as "created" or "refused".
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one thing that happened to a session, for logs and metrics
// (StoreOptions.OnEvent). It never holds an id, a token, a store key, a
// value or a credential.
type Event struct {
	Kind     EventKind
	Reason   string        // EventRefused: why the token was refused
	Op       string        // EventStoreError: "load", "save", "renew", "destroy", "index", ...
	Count    int           // EventDestroyed: how many sessions ended
	Err      error         // EventStoreError, EventLateSaveFailed, EventConflict
	Duration time.Duration // EventStoreError: how long the failed call took
}

// LogEvents returns an OnEvent hook that logs each event to logger:
// store errors and failed late saves at Warn, refusals at Info, the rest at
// Debug. Its lines hold no id, token or value. A nil logger means slog's
// default logger at the time of each event.
func LogEvents(logger *slog.Logger) func(context.Context, Event) {
	return func(ctx context.Context, e Event) {
		logger := logger
		if logger == nil {
			logger = slog.Default()
		}
		level := slog.LevelDebug
		attrs := []slog.Attr{slog.String("event", e.Kind.String())}
		switch e.Kind {
		case EventStoreError, EventLateSaveFailed:
			level = slog.LevelWarn
		case EventRefused:
			level = slog.LevelInfo
		}
		if e.Reason != "" {
			attrs = append(attrs, slog.String("reason", e.Reason))
		}
		if e.Op != "" {
			attrs = append(attrs, slog.String("op", e.Op))
		}
		if e.Count != 0 {
			attrs = append(attrs, slog.Int("count", e.Count))
		}
		if e.Duration != 0 {
			attrs = append(attrs, slog.Duration("took", e.Duration))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("err", e.Err.Error()))
		}
		logger.LogAttrs(ctx, level, "sessions", attrs...)
	}
}

// emit sends e to StoreOptions.OnEvent, if any. The hook's context does
// not carry the request's session: events are emitted while it is locked,
// and a hook that used it would wait for itself.
func (st *Store) emit(ctx context.Context, e Event) {
	if st.opts.OnEvent != nil {
		st.opts.OnEvent(withoutSession{ctx}, e)
	}
}

// withoutSession hides the session from a context.
type withoutSession struct{ context.Context }

func (c withoutSession) Value(key any) any {
	if key == sessionKey {
		return nil
	}
	return c.Context.Value(key)
}

// failed reports a failed store call that began at start and returns its
// error wrapped as ErrUnavailable, unless the call's context ended first
// for a reason of the caller's (the client went away, the caller's own
// deadline passed): that error is the caller's, wrapped as such, and it
// is no outage: no event, and the local cache keeps its entries.
func (st *Store) failed(ctx context.Context, op string, start time.Time, err error) error {
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), errStoreTimeout) {
		return fmt.Errorf("sessions: %s: %w", op, ctx.Err())
	}
	err = unavailable(op, err)
	if st.cache != nil {
		// The store is out of reach: so may its invalidations be.
		st.cache.down()
	}
	st.emit(ctx, Event{Kind: EventStoreError, Op: op, Err: err, Duration: st.now().Sub(start)})
	return err
}

// unavailable wraps a client error as ErrUnavailable with context. Client
// errors carry no session data: keys are hashes and values travel as
// arguments, which go-redis does not echo.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// storeCtx bounds a store operation by StoreOptions.Timeout. Its cause
// tells the store's timeout (a store failure) from the end of the
// caller's context (the caller's; see failed).
func (st *Store) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, st.opts.Timeout, errStoreTimeout)
}

// errStoreTimeout is the cause of a store call's context that reached
// StoreOptions.Timeout.
var errStoreTimeout = errors.New("sessions: store timeout")
