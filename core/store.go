package sessions

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// transport moves the session id between the store and the client.
type transport interface {
	// read returns the token the request carries, if one authenticates,
	// and otherwise why the one it carries (if any) was refused.
	read(c Carrier, now time.Time) (tok token, refusal string, ok bool)
	// present reports whether the request carries a credential of the
	// transport's name at all, valid or not (it costs no decoding).
	present(c Carrier) bool
	// write gives the client a token for id; deadline is the session's
	// absolute deadline, persist its cookie-lifetime choice.
	write(c Carrier, id credential, deadline, now time.Time, persist persistChoice)
	// clear tells the client to drop its token.
	clear(c Carrier)
	// vary names the request headers the transport reads, for Vary.
	vary() string
}

// token is what a transport read from a request.
type token struct {
	id      credential
	rewrite bool          // reissue it: an old key sealed it, or it nears its expiry
	persist persistChoice // the cookie-lifetime choice it carries
}

// Store loads and saves sessions in Redict. It is safe for concurrent use;
// make one per app and share it.
type Store struct {
	client redis.UniversalClient
	opts   StoreOptions
	tr     transport
	now    func() time.Time
	args   scriptArgs
	cache  *localCache // StoreOptions.LocalCache; nil: none
}

// scriptArgs are the scripts' constant arguments, boxed once rather than
// on every call.
type scriptArgs struct {
	idle, max, journal any
}

// NewCookieStore returns a Store whose clients carry the session id in an
// encrypted, authenticated cookie. It refuses invalid options.
func NewCookieStore(client redis.UniversalClient, so StoreOptions, co CookieOptions) (*Store, error) {
	st, err := newStore(client, so)
	if err != nil {
		return nil, err
	}
	ct, err := newCookieTransport(co, st.opts.AbsoluteTimeout)
	if err != nil {
		return nil, err
	}
	ct.warnPlain = func(host string) {
		st.logger().LogAttrs(context.Background(), slog.LevelWarn,
			"sessions: a Secure cookie was set on a plain-http request; browsers send it back over https (or to localhost) only, so every request from this host starts a new session: serve https, or set CookieOptions.DisableSecure for plain-http development",
			slog.String("host", host))
	}
	st.tr = ct
	return st.startCache()
}

func newStore(client redis.UniversalClient, so StoreOptions) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidOptions)
	}
	opts, err := so.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, cluster := client.(*redis.ClusterClient); cluster && opts.WaitReplicas > 0 {
		return nil, fmt.Errorf("%w: WaitReplicas needs a single-node or Sentinel client, not a Cluster", ErrInvalidOptions)
	}
	st := &Store{client: client, opts: opts, now: time.Now}
	st.args = scriptArgs{idle: opts.IdleTimeout.Milliseconds(), max: opts.MaxSize, journal: st.journalAge().Milliseconds()}
	if _, ok := client.(*redis.Client); opts.LocalCache > 0 && !ok {
		return nil, fmt.Errorf("%w: LocalCache needs a single-node or Sentinel client, not %T: a Cluster's invalidations come from every primary", ErrInvalidOptions, client)
	}
	return st, nil
}

// startCache starts the local cache, once the constructor has checked
// every option.
func (st *Store) startCache() (*Store, error) {
	if st.opts.LocalCache > 0 {
		var err error
		if st.cache, err = newLocalCache(st.client.(*redis.Client), st.opts, st.logger); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Options returns the store's options with defaults applied.
func (st *Store) Options() StoreOptions { return st.opts }

// Load returns the request's session. It does no I/O: the token is read
// and the store consulted on first use, so a request that never touches
// its session costs nothing. It never fails; a request without a valid
// token gets a fresh session.
//
// ctx is the request's: it bounds the store calls the handler makes (a
// load, Incr, Update, Renew, Destroy, BindUser); should it end first (the
// client went away), the call fails with an error wrapping ctx.Err(),
// which is the caller's, not a store outage (no ErrUnavailable, no
// EventStoreError). Save, Commit and Finish run without its cancellation,
// so that a handler's changes are saved whatever the client does. Every
// store call is bounded by StoreOptions.Timeout in any case.
func (st *Store) Load(ctx context.Context, c Carrier) *Session {
	s := new(Session)
	st.init(ctx, s, c)
	return s
}

// LoadInto is Load into a zero Session the caller allocated, for
// integrations that allocate it together with their own per-request state
// (one allocation per request instead of two). s must not be reused for
// another request.
func (st *Store) LoadInto(ctx context.Context, s *Session, c Carrier) {
	st.init(ctx, s, c)
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
func (st *Store) init(ctx context.Context, s *Session, c Carrier) {
	s.st, s.ctx, s.c = st, ctx, c
}

// Save commits the session's pending changes in one round trip and gives
// the client its token when it needs one (a new or renewed session, a token
// sealed with an old key or near its expiry, a RememberMe choice), or tells
// it to drop its token after Destroy. It writes nothing for an untouched or
// unchanged session, but for the idle refresh of a session read in this
// request, due once per StoreOptions.RefreshInterval. Call it before the
// response's headers are written; a second call saves only what changed
// since the first. After Commit, Save can still save data changes to a
// session already in the store; a change that would need a new token
// fails with ErrCommitted.
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
	if s.err != nil && !s.hasChanges() {
		return nil // a failed read, which the reader was told of; nothing to save
	}
	if err := st.save(ctx, c, s); err != nil {
		st.logger().LogAttrs(ctx, slog.LevelError, "sessions: changes made after the response was committed were not saved",
			slog.String("err", err.Error()))
		st.emit(ctx, Event{Kind: EventLateSaveFailed, Err: err})
	}
	return nil
}

// Discard drops the session's unsaved changes and ends it for this
// request: nothing more is saved, and no token is sent but the one of a
// session an Incr or Update already created or renewed (the old token is
// dead then). Integrations call
// it when the handler panicked, so that a framework's recovery middleware
// answering through the same response never commits a half-done request.
// Changes already saved stay (Incr and Update write at once); a Renew not
// written yet is dropped, so a crash neither logs the user out nor hands
// out a new credential.
func (st *Store) Discard(s *Session) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unlock(s.ctx)
	if s.issue && s.state == stateLive && !s.committed {
		// An Incr or Update wrote a new session, or a Renew, already:
		// the old credential is dead, so the new one goes out with
		// whatever answers the panic, or the crash would log the user
		// out.
		st.tr.write(s.c, s.cred, s.deadline, st.now(), s.persist)
		st.vary(s.c, s, true)
		if !s.noStore {
			s.c.AddHeader("Cache-Control", "no-store")
			s.noStore = true
		}
	}
	s.dirty, s.cleared, s.persistSet, s.renew, s.bindSet, s.reauth = nil, false, false, false, false, false
	s.issue, s.clearToken, s.rewrite = false, false, false
	s.discarded, s.committed = true, true
}

// persistChoice is a session's cookie-lifetime choice (RememberMe).
type persistChoice uint8

const (
	persistDefault persistChoice = iota // as CookieOptions.BrowserSession says
	persistOn                           // a persistent cookie
	persistOff                          // a browser-session cookie
)
