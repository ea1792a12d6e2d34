package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// transport moves the session id between the store and the client.
type transport interface {
	// read returns the session id the request carries, if one
	// authenticates, and whether the client's token should be reissued
	// (an old key sealed it, or it nears its expiry).
	read(c Carrier, now time.Time) (id sessionID, rewrite, ok bool)
	// write gives the client a token for id; deadline is the session's
	// absolute deadline.
	write(c Carrier, id sessionID, deadline, now time.Time)
	// clear tells the client to drop its token.
	clear(c Carrier)
	// vary names the request headers the transport reads, for Vary.
	vary() string
}

// Store loads and saves sessions in Redict. It is safe for concurrent use;
// make one per app and share it.
type Store struct {
	client redis.UniversalClient
	opts   StoreOptions
	tr     transport
	now    func() time.Time
}

// NewCookieStore returns a Store whose clients carry the session id in an
// encrypted, authenticated cookie. It refuses invalid options.
func NewCookieStore(client redis.UniversalClient, so StoreOptions, co CookieOptions) (*Store, error) {
	st, err := newStore(client, so)
	if err != nil {
		return nil, err
	}
	st.tr, err = newCookieTransport(co, st.opts.AbsoluteTimeout)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func newStore(client redis.UniversalClient, so StoreOptions) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidOptions)
	}
	opts, err := so.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Store{client: client, opts: opts, now: time.Now}, nil
}

// Options returns the store's options with defaults applied.
func (st *Store) Options() StoreOptions { return st.opts }

// Load returns the request's session. It does no I/O: the token is read
// and the store consulted on first use, so a request that never touches
// its session costs nothing. It never fails; a request without a valid
// token gets a fresh session. ctx bounds the session's store operations.
func (st *Store) Load(ctx context.Context, c Carrier) *Session {
	s := new(Session)
	st.init(s, ctx, c)
	return s
}

// logger returns StoreOptions.Logger, or slog's default logger at the
// time of the call.
func (st *Store) logger() *slog.Logger {
	if st.opts.Logger != nil {
		return st.opts.Logger
	}
	return slog.Default()
}

// init readies a zero Session for a request.
func (st *Store) init(s *Session, ctx context.Context, c Carrier) {
	s.st, s.ctx, s.c = st, ctx, c
}

// Save commits the session's pending changes in one round trip and gives
// the client its token when it needs one (a new or renewed session, a token
// sealed with an old key or near its expiry), or tells it to drop its token
// after Destroy. It writes nothing for an untouched or unchanged session.
// Call it before the response's headers are written; a second call saves
// only what changed since the first.
//
// A failure to load the session earlier in the request is returned again
// here, so that a live session never reads as empty while the store is down.
func (st *Store) Save(ctx context.Context, c Carrier, s *Session) error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return st.save(ctx, c, s)
}

// Commit is Save for the moment the response's header is about to be
// written: it saves the session and marks the response as committed in one
// step, so that no Renew or new session can slip in between (their token
// could no longer reach the client: after Commit they fail with
// ErrCommitted). Integrations call it before the first byte of the
// response; on an error they answer with ErrorStatus(err) instead of the
// handler's response.
func (st *Store) Commit(ctx context.Context, c Carrier, s *Session) error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := st.save(ctx, c, s)
	s.committed = true
	return err
}

// Finish ends the request's session once the handler has returned. If the
// response was not committed yet, it is Commit, and a non-nil error is for
// the integration to answer. If it was, Finish saves the changes made
// since (data changes to a session already in the store) and reports a
// failure to StoreOptions.Logger, since no response can carry it any more;
// it then returns nil.
func (st *Store) Finish(ctx context.Context, c Carrier, s *Session) error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.committed {
		err := st.save(ctx, c, s)
		s.committed = true
		return err
	}
	if err := st.save(ctx, c, s); err != nil {
		st.logger().LogAttrs(ctx, slog.LevelError, "sessions: changes made after the response was committed were not saved",
			slog.String("err", err.Error()))
	}
	return nil
}

// Discard drops the session's unsaved changes and ends it for this
// request: nothing more is saved, and no token is sent. Integrations call
// it when the handler panicked, so that a framework's recovery middleware
// answering through the same response never commits a half-done request.
// Changes already saved stay.
func (st *Store) Discard(s *Session) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A Renew whose new record was never written: the old one lives
	// again rather than the user being logged out by a crash.
	s.undoTake(context.WithoutCancel(s.ctx), st.now())
	s.dirty, s.cleared = nil, false
	s.issue, s.clearToken, s.rewrite = false, false, false
	s.discarded, s.committed = true, true
}

// save is Save with s.mu held.
func (st *Store) save(ctx context.Context, c Carrier, s *Session) error {
	if s.discarded {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	now := st.now()
	if s.hasChanges() {
		// After the commit no token can reach the client: only a session
		// already in the store can take changes.
		if _, err := s.flush(ctx, now, nil, s.committed); err != nil {
			if err == errGone {
				return fmt.Errorf("%w: the changes would start a session", ErrCommitted)
			}
			if errors.Is(err, ErrUnavailable) {
				s.err = err
			}
			return err
		}
	}
	if s.committed {
		return nil // the header is out: no token, Vary or Cache-Control can follow
	}
	token := true
	switch {
	case s.issue, s.rewrite && s.state == stateLive:
		st.tr.write(c, s.id, s.deadline, now)
	case s.clearToken:
		st.tr.clear(c)
	default:
		token = false
	}
	if (token || s.state != stateUnread) && !s.varied {
		// The response depends on the session: shared caches must key
		// it by the token (cached pages must not leak between users),
		// and must not store one that carries a token at all.
		c.AddHeader("Vary", st.tr.vary())
		s.varied = true
	}
	if token && !s.noStore {
		c.AddHeader("Cache-Control", "no-store")
		s.noStore = true
	}
	s.issue, s.clearToken, s.rewrite = false, false, false
	return nil
}
