package sessions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// This file holds the Session's state machine: how a request's session is
// read from its credential, loaded, and written back. The public API is in
// session.go; the store's I/O in redict.go.

// state is where a Session stands with respect to the store.
type state uint8

const (
	stateUnread state = iota // the credential has not been read yet
	stateFresh               // no session in the store: created on first write
	stateToken               // the credential names a session not yet verified
	stateLive                // the session was verified in, or written to, the store
)

// change is a pending write of one field: a value, or a deletion.
type change struct {
	val string
	del bool
}

// Session is one client's session during one request. Values are read from
// the store on first use and written back by Store.Save; only the keys that
// changed are written. A Session is safe for concurrent use by the
// goroutines of its request; it must not outlive the request.
type Session struct {
	st  *Store
	ctx context.Context
	c   Carrier
	mu  sync.Mutex

	state      state
	cred       credential
	key        string // the store key of cred, derived once per locator (see setCred)
	isNew      bool
	renew      bool          // Renew: the next write replaces the secret with next's
	next       credential    // the credential a pending Renew gives the session
	rewrite    bool          // the transport asked for a reissue of the token
	issue      bool          // the client needs a token for a new credential
	clearToken bool          // the client holds a token that is now dead
	persist    persistChoice // the cookie-lifetime choice (RememberMe)
	persistSet bool          // RememberMe changed it: reissue the cookie
	varied     bool          // Vary was added to the response
	noStore    bool          // Cache-Control: no-store was added to the response
	loaded     bool          // values is a full view of the session
	refreshDue bool          // the load found the last use older than RefreshInterval
	values     map[string]string
	dirty      map[string]change
	cleared    bool
	created    time.Time
	seen       time.Time
	seenKnown  bool // seen holds the last use before this request
	committed  bool // the response's headers are out: no new token can reach the client
	discarded  bool // Store.Discard ended the session for this request
	deadline   time.Time
	user       string // the user the stored session is bound to, once known
	label      string
	bindUser   string // BindUser's pending binding, written at Save
	bindLabel  string
	bindSet    bool
	admitted   string    // RefuseOverCap: the index entry BindUser took a seat with
	authAt     time.Time // when the bound user last proved who they are
	reauth     bool      // Reauthenticated: authAt is to be written
	holder     string    // this request's name as a lock holder (Lock)
	locked     bool      // the request holds the session's lock
	unlocking  bool      // the next write releases the lock (save)
	drawn      bool      // the credential of a session not in the store yet was drawn (RefuseOverCap)
	rev        int64     // the revision this request read (revKnown) or wrote
	revKnown   bool
	updating   bool  // Update is running: every write checks rev
	err        error // sticky store failure
}

// resolve reads the credential on first use.
func (s *Session) resolve() {
	if s.state != stateUnread {
		return
	}
	tok, refusal, ok := s.st.tr.read(s.c, s.st.now())
	if !ok {
		if refusal != "" {
			s.st.emit(s.ctx, Event{Kind: EventRefused, Reason: refusal})
		}
		s.fresh()
		s.applyPending(nil)
		return
	}
	s.state, s.rewrite, s.persist = stateToken, tok.rewrite, tok.persist
	s.setCred(tok.id)
}

// setCred gives the session a credential and derives its store key.
func (s *Session) setCred(c credential) {
	s.cred, s.key = c, storeKey(s.st.opts.KeyPrefix, c)
}

// fresh turns s into a new, empty session that is created on save.
func (s *Session) fresh() {
	s.state, s.isNew, s.loaded, s.refreshDue, s.renew = stateFresh, true, true, false, false
	s.values = nil
	s.created, s.seen, s.deadline = time.Time{}, time.Time{}, time.Time{}
	s.user, s.label, s.authAt = "", "", time.Time{}
	s.revKnown, s.locked = false, false
}

// callerGone reports whether err is the end of the caller's context (the
// client went away) rather than a failure of the store: such an error is
// the caller's to handle, and a later save still runs.
func callerGone(err error) bool {
	return !errors.Is(err, ErrUnavailable) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// ensure loads the session from the store when its view is not complete.
func (s *Session) ensure() error {
	if s.err != nil {
		return s.err
	}
	s.resolve()
	if s.state != stateToken && (s.state != stateLive || s.loaded) {
		return nil
	}
	now := s.st.now()
	rec, err := s.st.load(s.ctx, s.key, s.cred, now)
	if err != nil {
		if !callerGone(err) {
			s.err = err // sticky: a live session never reads as empty
		}
		return err
	}
	if rec == nil {
		if s.state == stateToken {
			s.st.emit(s.ctx, Event{Kind: EventMissing})
		}
		s.fresh()
		s.applyPending(nil)
		return nil
	}
	s.state, s.loaded = stateLive, true
	s.created, s.deadline = rec.created, rec.deadline
	s.user, s.label = rec.user, rec.label
	if !s.bindSet && !s.reauth {
		s.authAt = rec.authAt
	}
	s.rev, s.revKnown = rec.rev, true
	s.refreshDue = now.Sub(rec.seen) >= s.st.opts.RefreshInterval
	s.noteSeen(rec.seen)
	s.applyPending(rec.values)
	return nil
}

// applyPending sets values to base with the pending changes applied.
func (s *Session) applyPending(base map[string]string) {
	if s.cleared || base == nil {
		base = make(map[string]string, len(s.dirty))
	}
	for f, ch := range s.dirty {
		if ch.del {
			delete(base, f)
		} else {
			base[f] = ch.val
		}
	}
	s.values = base
}

func (s *Session) setField(f, val string, del bool) {
	if s.dirty == nil {
		s.dirty = make(map[string]change)
	}
	s.dirty[f] = change{val: val, del: del}
	if s.loaded {
		if del {
			delete(s.values, f)
		} else {
			if s.values == nil {
				s.values = make(map[string]string)
			}
			s.values[f] = val
		}
	}
}

func (s *Session) hasChanges() bool {
	return len(s.dirty) > 0 || s.cleared || s.renew || s.bindSet || s.reauth
}

// binding returns the user and label the session is to be stored with.
func (s *Session) binding() (user, label string) {
	if s.bindSet {
		return s.bindUser, s.bindLabel
	}
	return s.user, s.label
}

// bindingOps returns the ops that write a pending binding (or, for a
// create, the binding the session has) with its authentication time, or a
// pending Reauthenticated, and the index addition that goes with writing
// the session under tag (under RefuseOverCap, the seat taken again: see admitScript). An
// entry of another user the session was bound to before is left to
// pruning (see accounts.go).
func (s *Session) bindingOps(tag string, create bool) (ops []any, idx []indexOp) {
	user, label := s.binding()
	if user == "" {
		return nil, nil
	}
	if s.bindSet || create {
		ops = []any{"s", fieldUser, user, "s", fieldLabel, label, "s", fieldAuth, strconv.FormatInt(s.authAt.UnixMilli(), 10)}
		return ops, []indexOp{{user: user, tag: tag}}
	}
	if s.reauth {
		ops = []any{"s", fieldAuth, strconv.FormatInt(s.authAt.UnixMilli(), 10)}
	}
	return ops, nil
}

// lateChange reports, with s.mu held, whether a change made now could never
// be saved: the response is committed and no session exists in the store
// to take it.
func (s *Session) lateChange() bool {
	if !s.committed {
		return false
	}
	s.resolve()
	return s.state == stateFresh
}

// flush writes the pending changes, plus extra ops, in one round trip,
// creating the record when the session is not in the store yet. A pending
// Renew is written with them: the record gets the new secret's verifier.
// With existingOnly, a session not in the store is not created (errGone).
func (s *Session) flush(ctx context.Context, now time.Time, extra []any, existingOnly bool) (writeResult, error) {
	s.resolve()
	if s.state == stateToken || s.state == stateLive {
		res, err := s.update(ctx, now, extra)
		if err != errGone || existingOnly {
			return res, err
		}
		// The session ended meanwhile (expired, destroyed by another
		// request, or renewed elsewhere: the credential is stale):
		// start a new one holding only this request's changes.
		s.st.emit(ctx, Event{Kind: EventMissing})
		s.fresh()
		s.clearToken = true
		s.applyPending(nil)
	}
	if existingOnly {
		return writeResult{}, errGone
	}
	return s.create(ctx, now, extra)
}

// update writes the pending changes and extra to the session in the store.
func (s *Session) update(ctx context.Context, now time.Time, extra []any) (writeResult, error) {
	ops := make([]any, 0, 3*len(s.dirty)+len(extra)+1)
	if s.cleared {
		ops = append(ops, "x")
	}
	for f, ch := range s.dirty {
		if ch.del {
			ops = append(ops, "d", f)
		} else {
			ops = append(ops, "s", f, ch.val)
		}
	}
	bops, idx := s.bindingOps(keyTag(s.key), false)
	ops = append(ops, bops...)
	ops = append(ops, extra...)
	w := writeReq{mode: modeUpdate, verifier: s.cred.verifier(), ops: ops, idx: idx}
	if s.bindSet {
		// A login starts the absolute lifetime anew: the anonymous part
		// of a session never shortens the signed-in part.
		w.deadline = now.Add(s.st.opts.AbsoluteTimeout)
	}
	if s.locked {
		w.lock, w.unlock = s.holder, s.unlocking
	}
	if s.revKnown && (s.updating || (s.st.opts.Optimistic && (len(s.dirty) > 0 || s.cleared))) {
		// Increments alone commute: only a change of values checks, but
		// inside Update every write does (fn read the values its writes
		// follow from).
		w.rev = strconv.FormatInt(s.rev, 10)
	}
	next := s.next
	if s.renew {
		w.renew = next.verifier()
	}
	res, err := s.st.write(ctx, s.key, now, w)
	if w.lock != "" && (err == nil && w.unlock || errors.Is(err, errLockLost)) {
		s.locked = false // released with the write, or lost; a refused write keeps it, for the save to release
	}
	switch {
	case err == nil:
		if s.renew {
			s.cred, s.renew, s.issue = next, false, true
			s.st.emit(ctx, Event{Kind: EventRenewed})
		}
		s.written(res)
		return res, nil
	case errors.Is(err, errIndexFailed), errors.Is(err, ErrTooManySessions):
		// The binding landed, its index entry (or its seat) did not:
		// take the binding back, so that no bound session goes
		// unlisted, nor over the cap.
		if s.renew {
			s.cred, s.renew, s.issue = next, false, true
		}
		undo := []any{"d", fieldUser, "d", fieldLabel}
		if s.user != "" {
			undo = []any{"s", fieldUser, s.user, "s", fieldLabel, s.label}
		}
		// Best effort: should the undo fail too, the unlisted binding is
		// the session's own; the save's error is what the caller hears.
		_, _ = s.st.write(context.WithoutCancel(ctx), s.key, now, writeReq{mode: modeUpdate, verifier: s.cred.verifier(), ops: undo})
		s.bindSet = false
		return res, err
	case errors.Is(err, ErrConflict):
		// Nothing of this request may land over the other one's change:
		// the conflict is sticky (Update, which retries, clears it), and
		// the view is read again.
		s.loaded, s.revKnown = false, false
		s.err = err
		s.st.emit(ctx, Event{Kind: EventConflict, Err: err})
	case s.renew && errors.Is(err, ErrUnavailable):
		// The Renew's outcome is unknown (sent twice): fail closed. The
		// old secret may be dead and the new one is not confirmed, so
		// neither goes to the client, and nothing more of this request
		// is written.
		s.err = err
	}
	return res, err
}

// create writes the session as a new record, under a new credential: a
// fresh locator, never one a client presented.
func (s *Session) create(ctx context.Context, now time.Time, extra []any) (writeResult, error) {
	s.created, s.deadline = now, now.Add(s.st.opts.AbsoluteTimeout)
	s.applyPending(s.values)
	if len(s.values) == 0 && len(extra) == 0 && !s.bindSet {
		// Nothing to store (a Delete or Clear on a session that does not
		// exist): create nothing, issue nothing.
		s.dirty, s.cleared = nil, false
		return writeResult{}, nil
	}
	ops := make([]any, 0, 3*len(s.values)+len(extra)+6)
	for f, v := range s.values {
		ops = append(ops, "s", f, v)
	}
	n := len(ops)
	for try := range 3 {
		if !s.drawn || try > 0 {
			s.setCred(newCredential())
		}
		s.drawn = false
		if s.bindSet && s.st.opts.RefuseOverCap {
			if err := s.admit(ctx, s.bindUser); err != nil {
				return writeResult{}, err
			}
		}
		bops, idx := s.bindingOps(keyTag(s.key), true)
		w := writeReq{mode: modeCreate, verifier: s.cred.verifier(), created: s.created, deadline: s.deadline,
			ops: append(append(ops[:n], bops...), extra...), idx: idx}
		res, err := s.st.write(ctx, s.key, now, w)
		if err == errExists {
			continue
		}
		if errors.Is(err, errIndexFailed) || errors.Is(err, ErrTooManySessions) {
			// A new record its user's index does not list (or that has
			// no seat) must not stand: no token will name it.
			_, _ = s.st.remove(context.WithoutCancel(ctx), s.key, s.cred.verifier()) // best effort; the create's error is returned
			s.bindSet = false
		}
		if err != nil {
			return res, err
		}
		s.issue, s.loaded = true, true
		s.revKnown = false // the create wrote every value: its revision is current
		s.written(res)
		s.revKnown = true
		s.st.emit(ctx, Event{Kind: EventCreated})
		return res, nil
	}
	return writeResult{}, unavailable("create", errExists)
}

// written records a successful write.
func (s *Session) written(res writeResult) {
	s.reauth = false
	// When another request wrote between this one's read and this write
	// (an Incr, which does not check), the view is not current: keep the
	// revision read, so that a later optimistic save still sees it.
	if !s.revKnown || res.rev == s.rev+1 {
		s.rev = res.rev
	}
	s.user, s.label = s.binding()
	s.bindSet = false
	s.state = stateLive
	s.deadline = res.deadline
	if s.created.IsZero() {
		s.created = res.created
	}
	s.dirty, s.cleared, s.refreshDue = nil, false, false
	s.noteSeen(res.seen)
}

// vary adds the transport's Vary header once per response when it may
// depend on the session: shared caches must key it by the token (cached
// pages must not leak between users). A request that carries a token gets
// it even when the handler has not read the session yet: it may still do
// so once the header is out. tok says the response carries a token.
func (st *Store) vary(c Carrier, s *Session, tok bool) {
	if !s.varied && (tok || s.state != stateUnread || st.tr.present(c)) {
		c.AddHeader("Vary", st.tr.vary())
		s.varied = true
	}
}

// noteSeen keeps the first last-use time the store reports in this
// request: later reads see the time this request's own writes left.
func (s *Session) noteSeen(t time.Time) {
	if !s.seenKnown {
		s.seen, s.seenKnown = t, true
	}
}

// save is Save with s.mu held. Its writes finish whatever the request's
// context does (a client that went away must not lose the changes its
// handler made, nor have its session counted as a store outage): they
// run on ctx without its cancellation, bounded by StoreOptions.Timeout.
func (st *Store) save(ctx context.Context, c Carrier, s *Session) (err error) {
	if s.discarded {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	// The lock ends with the save, should no write have released it.
	defer s.unlock(ctx)
	defer func() {
		if err != nil && !s.committed {
			// The error answer replaces the handler's response, and is
			// keyed by the token like any other.
			st.vary(c, s, false)
		}
	}()
	if s.err != nil {
		return s.err
	}
	now := st.now()
	var ferr error
	switch {
	case s.hasChanges():
		// After the commit no token can reach the client: only a session
		// already in the store can take changes. The write releases the
		// session's lock, if this request holds it.
		s.unlocking = true
		_, err = s.flush(ctx, now, nil, s.committed)
		s.unlocking = false
		if err != nil {
			switch {
			case err == errGone:
				err = fmt.Errorf("%w: the changes would start a session", ErrCommitted)
			case errors.Is(err, ErrUnavailable):
				s.err = err
			}
			if !s.issue || s.state != stateLive || s.committed {
				return err
			}
			// An earlier write of this request (an Incr after Renew)
			// created or renewed the session: its token must still
			// reach the client, or the failed save would log the user
			// out.
			ferr = err
		}
	case s.refreshDue && s.state == stateLive:
		// A read-only request: the idle TTL and last-seen time are
		// written at most once per RefreshInterval. The data was read
		// fine, so a failure here does not fail the request; the
		// session may end up to one interval early.
		_ = st.refresh(ctx, s.key, s.cred, now)
	}
	s.refreshDue = false
	if s.persistSet && s.state == stateToken && !s.committed {
		// A new RememberMe choice reissues the cookie: only for a
		// session that is still in the store.
		if err := s.ensure(); err != nil {
			return err
		}
	}
	if s.committed {
		return nil // the header is out: no token, Vary or Cache-Control can follow
	}
	tok := true
	switch {
	case s.issue, (s.rewrite || s.persistSet) && s.state == stateLive:
		st.tr.write(c, s.cred, s.deadline, now, s.persist)
	case s.clearToken:
		st.tr.clear(c)
	default:
		tok = false
	}
	st.vary(c, s, tok)
	if tok && !s.noStore {
		c.AddHeader("Cache-Control", "no-store")
		s.noStore = true
	}
	s.issue, s.clearToken, s.rewrite, s.persistSet = false, false, false, false
	return ferr
}
