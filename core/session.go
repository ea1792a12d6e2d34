package sessions

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// state is where a Session stands with respect to the store.
type state uint8

const (
	stateUnread  state = iota // the token has not been read yet
	stateFresh                // no session in the store: created on first save
	stateToken                // the token names an id not yet checked in the store
	stateLive                 // the id was found in, or written to, the store
	statePending              // renewed: a new id whose record is written on save
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
	id         sessionID
	idKey      string // the store key of id, derived once per id (see setID)
	isNew      bool
	rewrite    bool          // the transport asked for a reissue of the token
	issue      bool          // the client needs a token for a new id
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
	seenKnown  bool      // seen holds the last use before this request
	committed  bool      // the response's headers are out: no new token can reach the client
	discarded  bool      // Store.Discard ended the session for this request
	oldID      sessionID // the id a pending Renew took the record of
	takeNonce  string    // the take's nonce, to undo it should the new record fail
	takenSize  int       // the taken record's data size
	deadline   time.Time
	user       string // the user the stored session is bound to, once known
	label      string
	bindUser   string // BindUser's pending binding, written at Save
	bindLabel  string
	bindSet    bool
	rev        int64 // the revision this request read (revKnown) or wrote
	revKnown   bool
	updating   bool  // Update is running: every write checks rev
	err        error // sticky store failure
}

// resolve reads the token on first use.
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
	s.setID(tok.id)
}

// fresh turns s into a new, empty session that is created on save.
func (s *Session) fresh() {
	s.state, s.isNew, s.loaded, s.refreshDue = stateFresh, true, true, false
	s.values = nil
	s.created, s.seen, s.deadline = time.Time{}, time.Time{}, time.Time{}
	s.user, s.label = "", ""
	s.revKnown = false
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
	rec, err := s.st.load(s.ctx, s.key(), now)
	if err == nil && rec == nil && s.state == stateToken && s.st.restore(s.ctx, s.key(), now) {
		// An abandoned Renew had taken it: it is back; read it again.
		rec, err = s.st.load(s.ctx, s.key(), now)
	}
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
	s.rev, s.revKnown = rec.rev, true
	s.refreshDue = now.Sub(rec.seen) >= s.st.opts.RefreshInterval
	s.noteSeen(rec.seen)
	s.applyPending(rec.values)
	return nil
}

// callerGone reports whether err is the end of the caller's context (the
// client went away) rather than a failure of the store: such an error is
// the caller's to handle, and a later save still runs.
func callerGone(err error) bool {
	return !errors.Is(err, ErrUnavailable) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
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

// setID gives the session an id and derives its store key once, rather
// than hashing the id again for each store call of the request.
func (s *Session) setID(id sessionID) {
	s.id, s.idKey = id, storeKey(s.st.opts.KeyPrefix, id)
}

func (s *Session) key() string { return s.idKey }

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
	return len(s.dirty) > 0 || s.cleared || s.state == statePending || s.bindSet
}

// binding returns the user and label the session is to be stored with.
func (s *Session) binding() (user, label string) {
	if s.bindSet {
		return s.bindUser, s.bindLabel
	}
	return s.user, s.label
}

// bindingOps returns the ops that write a pending binding, and the index
// updates that go with writing the session under tag (oldTag: the tag it
// had before, for Renew; "" for none).
func (s *Session) bindingOps(tag, oldTag string, create bool) (ops []any, idx []indexOp) {
	user, label := s.binding()
	if user == "" {
		return nil, nil
	}
	if s.bindSet || create {
		ops = []any{"s", fieldUser, user, "s", fieldLabel, label}
	}
	if s.user != "" && oldTag != "" {
		idx = append(idx, indexOp{user: s.user, tag: oldTag})
	}
	if s.user != "" && s.user != user && oldTag == "" {
		idx = append(idx, indexOp{user: s.user, tag: tag})
	}
	if s.bindSet || create {
		idx = append(idx, indexOp{user: user, add: true, tag: tag})
	}
	return ops, idx
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
// creating the record when the session is not in the store yet.
//
// With existingOnly, a session not in the store is not created (errGone).
// final says the request ends with this write (Save): should a Renew's new
// record fail, the old one is restored. Otherwise (an Incr) the Renew stays
// pending when the failure is the app's (a value, not the store): its new
// record is written at Save without the failed step.
func (s *Session) flush(ctx context.Context, now time.Time, extra []any, existingOnly, final bool) (writeResult, error) {
	s.resolve()
	if s.state == stateToken || s.state == stateLive {
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
		bops, idx := s.bindingOps(keyTag(s.key()), "", false)
		ops = append(ops, bops...)
		ops = append(ops, extra...)
		w := writeReq{mode: modeUpdate, ops: ops, idx: idx}
		if s.revKnown && (s.updating || (s.st.opts.Optimistic && (len(s.dirty) > 0 || s.cleared))) {
			// Increments alone commute: only a change of values checks,
			// but inside Update every write does (fn read the values its
			// writes follow from).
			w.rev = strconv.FormatInt(s.rev, 10)
		}
		res, err := s.st.write(ctx, s.key(), now, w)
		if err == errGone && s.state == stateToken && s.st.restore(ctx, s.key(), now) {
			res, err = s.st.write(ctx, s.key(), now, w) // an abandoned Renew had taken it
		}
		if errors.Is(err, errIndexFailed) && s.bindSet {
			// The binding landed, its index entry did not: take the
			// binding back, so that no bound session goes unlisted.
			undo := []any{"d", fieldUser, "d", fieldLabel}
			if s.user != "" {
				undo = []any{"s", fieldUser, s.user, "s", fieldLabel, s.label}
			}
			s.st.write(context.WithoutCancel(ctx), s.key(), now, writeReq{mode: modeUpdate, ops: undo})
		}
		switch {
		case err == nil:
			s.written(res)
			return res, nil
		case errors.Is(err, ErrConflict):
			// Nothing of this request may land over the other one's
			// change: the conflict is sticky (Update, which retries,
			// clears it), and the view is read again.
			s.loaded, s.revKnown = false, false
			s.err = err
			s.st.emit(ctx, Event{Kind: EventConflict, Err: err})
			return res, err
		case err != errGone:
			return res, err
		}
		if existingOnly {
			return res, err
		}
		// The session ended meanwhile (expired, or destroyed by another
		// request): start a new one holding only this request's changes.
		s.st.emit(ctx, Event{Kind: EventMissing})
		s.fresh()
		s.clearToken = true
		s.applyPending(nil)
	}
	if existingOnly {
		return writeResult{}, errGone
	}
	if s.state == stateFresh {
		s.created, s.deadline = now, now.Add(s.st.opts.AbsoluteTimeout)
	}
	s.applyPending(s.values)
	if s.state == stateFresh && len(s.values) == 0 && len(extra) == 0 && !s.bindSet {
		// Nothing to store (a Delete or Clear on a session that does
		// not exist): create nothing, issue nothing.
		s.dirty, s.cleared = nil, false
		return writeResult{}, nil
	}
	ops := make([]any, 0, 3*len(s.values)+len(extra)+6)
	for f, v := range s.values {
		ops = append(ops, "s", f, v)
	}
	n := len(ops)
	stored, oldTag := 0, ""
	if s.state == statePending {
		stored, oldTag = s.takenSize, keyTag(storeKey(s.st.opts.KeyPrefix, s.oldID))
	}
	w := writeReq{mode: modeCreate, created: s.created, deadline: s.deadline, stored: stored}
	if s.state == statePending {
		w.take, w.nonce = takeKey(storeKey(s.st.opts.KeyPrefix, s.oldID)), s.takeNonce
	}
	for range 3 {
		s.setID(newID())
		bops, idx := s.bindingOps(keyTag(s.key()), oldTag, true)
		w.ops, w.idx = append(append(ops[:n], bops...), extra...), idx
		res, err := s.st.write(ctx, s.key(), now, w)
		if err == errExists {
			continue
		}
		if err == errTakeLost {
			// Destroyed while renewed: what this request set starts a
			// new session, without the destroyed one's data.
			s.fresh()
			s.takeNonce = ""
			s.clearToken = true
			s.applyPending(nil)
			return s.flush(ctx, now, extra, existingOnly, final)
		}
		if err != nil {
			if final || errors.Is(err, ErrUnavailable) {
				s.undoTake(ctx, now, err)
			}
			return res, err
		}
		kind := EventCreated
		if s.state == statePending {
			kind = EventRenewed
		}
		s.takeNonce = ""
		s.issue = true
		s.loaded = true
		s.revKnown = false // the create wrote every value: its revision is current
		s.written(res)
		s.revKnown = true
		s.st.emit(ctx, Event{Kind: kind})
		return res, nil
	}
	err := unavailable("create", errExists)
	s.undoTake(ctx, now, err)
	return writeResult{}, err
}

// undoTake restores the record a pending Renew took, when its new record
// could not be written (cause, or nil when the request is abandoned): the
// session goes back to its old id, its pending changes kept, and fails
// from then on with cause, so that nothing this request set can land in
// the old record. A new record whose reply was lost is removed.
func (s *Session) undoTake(ctx context.Context, now time.Time, cause error) {
	if s.state != statePending || s.takeNonce == "" {
		return
	}
	oldKey := storeKey(s.st.opts.KeyPrefix, s.oldID)
	if errors.Is(cause, ErrUnavailable) && s.idKey != oldKey {
		// The create may have run: its record must not outlive it.
		rctx, cancel := s.st.storeCtx(context.WithoutCancel(ctx))
		s.st.client.Del(rctx, s.idKey)
		cancel()
	}
	s.st.untake(ctx, oldKey, s.takeNonce, now)
	s.setID(s.oldID)
	s.state = stateLive
	s.issue, s.clearToken = false, false
	s.takeNonce = ""
	if cause != nil && s.err == nil {
		s.err = cause
	}
}

// written records a successful write.
func (s *Session) written(res writeResult) {
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

// noteSeen keeps the first last-use time the store reports in this
// request: later reads see the time this request's own writes left.
func (s *Session) noteSeen(t time.Time) {
	if !s.seenKnown {
		s.seen, s.seenKnown = t, true
	}
}

// Get returns the value stored under key, decoded into a T. It reports
// false when the key is absent; absence is not an error. It fails with an
// error wrapping ErrDecode when the stored value does not decode into a T
// (with the default JSONCodec, a value of another shape, or a struct with
// a field T lacks), and with one wrapping ErrUnavailable when the session
// cannot be loaded; the empty key is refused with ErrInvalidKey. After the
// response's first byte a failed load is still returned here, though the
// integration can no longer answer for it.
func Get[T any](s *Session, key string) (T, bool, error) {
	var v T
	if key == "" {
		return v, false, errEmptyKey("get")
	}
	b, ok, err := s.raw(dataPrefix + key)
	if err != nil || !ok {
		return v, false, err
	}
	if err := s.st.opts.Codec.Unmarshal([]byte(b), &v); err != nil {
		return v, true, fmt.Errorf("%w: get %q into %T", ErrDecode, key, v)
	}
	return v, true, nil
}

// Pop is Get followed by Delete: it returns the value and removes it. A
// value that does not decode into a T is kept, and the ErrDecode returned.
func Pop[T any](s *Session, key string) (T, bool, error) {
	v, ok, err := Get[T](s, key)
	if ok && err == nil {
		s.Delete(key)
	}
	return v, ok, err
}

// errEmptyKey is the error of op on the empty key.
func errEmptyKey(op string) error {
	return fmt.Errorf("%w: %s: the empty string is not a session key", ErrInvalidKey, op)
}

func (s *Session) raw(f string) (string, bool, error) {
	if s == nil {
		return "", false, ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensure(); err != nil {
		return "", false, err
	}
	b, ok := s.values[f]
	return b, ok, nil
}

// Set stores v, encoded by the store's codec, under key. The write happens
// at Save. It fails with ErrEncode when v does not encode, with ErrTooLarge
// when the encoded value alone passes StoreOptions.MaxSize, and with
// ErrCommitted when the response is committed and the request has no
// session in the store (a new one could not get its token to the client).
// The empty key is refused with ErrInvalidKey.
func (s *Session) Set(key string, v any) error {
	if s == nil {
		return ErrNoSession
	}
	if key == "" {
		return errEmptyKey("set")
	}
	b, err := s.st.opts.Codec.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: set %q from %T", ErrEncode, key, v)
	}
	if len(dataPrefix)+len(key)+len(b) > s.st.opts.MaxSize {
		return fmt.Errorf("%w: set %q: over the limit of %d bytes", ErrTooLarge, key, s.st.opts.MaxSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discarded {
		return errDiscarded
	}
	if s.lateChange() {
		return fmt.Errorf("%w: set %q would start a session", ErrCommitted, key)
	}
	s.setField(dataPrefix+key, string(b), false)
	return nil
}

// Delete removes key from the session at Save.
func (s *Session) Delete(key string) {
	if s == nil || key == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setField(dataPrefix+key, "", true)
}

// Clear removes every key and flash message from the session at Save. The
// session itself, its id and its deadlines stay.
func (s *Session) Clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleared, s.dirty, s.values, s.loaded = true, nil, map[string]string{}, true
}

// Keys returns the session's keys in sorted order.
func (s *Session) Keys() ([]string, error) {
	if s == nil {
		return nil, ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensure(); err != nil {
		return nil, err
	}
	var keys []string
	for f := range maps.Keys(s.values) {
		if k, ok := strings.CutPrefix(f, dataPrefix); ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Incr adds delta to the integer stored under key (absent counts as 0) and
// returns the result. It runs inside Redict at once, together with any
// pending changes, so concurrent increments are never lost; on a session
// not loaded yet it costs one round trip in all. It fails with an error
// wrapping ErrNotInteger when the stored value is not an integer, and with
// ErrOutOfRange when the result would leave the int64 range; then nothing
// is written, and the pending changes stay pending. The empty key is
// refused with ErrInvalidKey.
func (s *Session) Incr(key string, delta int64) (int64, error) {
	if s == nil {
		return 0, ErrNoSession
	}
	if key == "" {
		return 0, errEmptyKey("incr")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.discarded {
		return 0, errDiscarded
	}
	f := dataPrefix + key
	res, err := s.flush(s.ctx, s.st.now(), []any{"i", f, delta}, s.committed, false)
	if err == errGone {
		return 0, fmt.Errorf("%w: incr would start a session", ErrCommitted)
	}
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			s.err = err
		}
		return 0, err
	}
	n := res.incrs[len(res.incrs)-1]
	if s.loaded && s.values != nil {
		s.values[f] = strconv.FormatInt(n, 10)
	}
	return n, nil
}

// UpdateAttempts is how often Update runs its function at most.
const UpdateAttempts = 5

// Update runs fn, which reads and changes the session, and saves the
// changes at once, optimistically: only if no other request changed the
// session since fn read it. If one did, fn's changes are dropped, the
// session read again, and fn run again (after a short random pause), up to
// UpdateAttempts times; then Update fails with ErrConflict. Every write
// fn makes itself (an Incr) is checked the same way, and its conflict
// runs fn again too; what such a write saved before the conflict stays
// saved, so prefer Set inside fn. An error from fn drops its changes and
// is returned. Changes made before Update are saved with fn's.
// Use it for a read-modify-write that must not lose a concurrent one (two
// tabs editing one cart); increments need no Update (Incr is atomic).
func (s *Session) Update(fn func(s *Session) error) error {
	if s == nil {
		return ErrNoSession
	}
	var err error
	for attempt := range UpdateAttempts {
		s.mu.Lock()
		dirty, cleared := maps.Clone(s.dirty), s.cleared
		s.updating = true
		s.mu.Unlock()
		ferr := fn(s)
		s.mu.Lock()
		if errors.Is(s.err, ErrConflict) {
			// A write inside fn found the session changed since fn
			// read it: run fn again on the new values.
			err = s.err
			s.dirty, s.cleared, s.err, s.updating = dirty, cleared, nil, false
			s.mu.Unlock()
			pause(attempt)
			continue
		}
		if ferr != nil {
			s.dirty, s.cleared, s.loaded, s.updating = dirty, cleared, false, false
			s.mu.Unlock()
			return ferr
		}
		if s.err != nil {
			err = s.err
			s.updating = false
			s.mu.Unlock()
			return err
		}
		_, err = s.flush(s.ctx, s.st.now(), nil, s.committed, false)
		s.updating = false
		if errors.Is(err, ErrConflict) {
			s.dirty, s.cleared, s.err = dirty, cleared, nil
			s.mu.Unlock()
			pause(attempt)
			continue
		}
		if errors.Is(err, ErrUnavailable) {
			s.err = err
		}
		s.mu.Unlock()
		if err == errGone {
			return fmt.Errorf("%w: the update would start a session", ErrCommitted)
		}
		return err
	}
	return err
}

// pause waits a short random time, growing with attempt, so that racing
// requests fall out of step.
func pause(attempt int) {
	time.Sleep(time.Duration(mrand.Int64N(int64(attempt+1) * int64(2*time.Millisecond))))
}

// AddFlash queues a one-time message, read (and consumed) by Flashes on a
// later request. Each message is a field of its own, so concurrent
// requests never lose each other's messages, and adding one needs no load.
// Like Set, it fails with ErrCommitted when the message could never be
// saved.
func (s *Session) AddFlash(msg string) error {
	if s == nil {
		return ErrNoSession
	}
	b, _ := json.Marshal(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lateChange() {
		return fmt.Errorf("%w: a flash message would start a session", ErrCommitted)
	}
	// Unix nanoseconds, zero-padded, sort the messages by time; the
	// random tail keeps messages of the same instant apart.
	f := fmt.Sprintf("%s%020d.%s", flashPrefix, s.st.now().UnixNano(), rand.Text()[:6])
	s.setField(f, string(b), false)
	return nil
}

// Flashes returns the queued flash messages, oldest first, and removes
// them at Save. Messages added by a concurrent request after this one
// loaded the session are kept for the next read.
func (s *Session) Flashes() ([]string, error) {
	if s == nil {
		return nil, ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensure(); err != nil {
		return nil, err
	}
	var fields []string
	for f := range s.values {
		if strings.HasPrefix(f, flashPrefix) {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	msgs := make([]string, 0, len(fields))
	for _, f := range fields {
		var m string
		if json.Unmarshal([]byte(s.values[f]), &m) == nil {
			msgs = append(msgs, m) // one that does not decode is dropped with the rest
		}
	}
	for _, f := range fields {
		s.setField(f, "", true)
	}
	return msgs, nil
}

// Renew gives the session a new id and kills the old one, keeping the data
// and the absolute deadline. Call it on login and on any change of
// privilege, to defeat session fixation. The old record is taken (it reads
// as missing at once) now; the new one is written, and the client given
// its new token, at Save. Should the new record fail to be written at Save,
// the old one is restored and Save fails; an Incr that fails on a value
// (ErrNotInteger, ErrOutOfRange, ErrTooLarge) in between leaves the Renew
// standing. After the response was committed Renew fails with ErrCommitted
// (the new token could not be sent).
func (s *Session) Renew() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.committed {
		return fmt.Errorf("%w: renew", ErrCommitted)
	}
	if s.discarded {
		return errDiscarded
	}
	s.resolve()
	if s.state != stateToken && s.state != stateLive {
		// Not in the store (or renewed already): the new id is drawn
		// when the session is first written.
		return nil
	}
	nonce := newNonce()
	now := s.st.now()
	rec, err := s.st.take(s.ctx, s.key(), nonce, now)
	if err != nil {
		s.err = err
		return err
	}
	s.clearToken = true
	if rec == nil {
		// It ended meanwhile: what this request set starts a new one.
		s.fresh()
		s.applyPending(nil)
		return nil
	}
	s.oldID, s.takeNonce, s.takenSize = s.id, nonce, rec.size
	s.user, s.label = rec.user, rec.label
	s.applyPending(rec.values)
	s.created, s.deadline = rec.created, rec.deadline
	s.noteSeen(rec.seen)
	s.state, s.loaded, s.issue, s.refreshDue = statePending, true, false, false
	return nil
}

// Destroy deletes the session from the store at once and, at Save, tells
// the client to drop its token. The Session stays usable as a new, empty
// session: a later Set starts a new one (for example to carry a "logged
// out" flash message).
func (s *Session) Destroy() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discarded {
		return errDiscarded
	}
	s.resolve()
	key := s.key()
	if s.state == statePending {
		// Renewed in this request: the record waits under the old id's
		// take key, which must go too, or a read could restore it.
		key = storeKey(s.st.opts.KeyPrefix, s.oldID)
	}
	if s.state == stateToken || s.state == stateLive || s.state == statePending {
		if err := s.st.remove(s.ctx, key, s.user); err != nil {
			s.err = err
			return err
		}
		s.clearToken = true
		s.st.emit(s.ctx, Event{Kind: EventDestroyed, Count: 1})
	}
	s.fresh()
	s.dirty, s.cleared, s.issue, s.rewrite, s.bindSet = nil, false, false, false, false
	s.takeNonce = ""
	s.persist, s.persistSet = persistDefault, false // a later session is a new one
	return nil
}

// errDiscarded is what changes that need the store get after
// Store.Discard.
var errDiscarded = fmt.Errorf("%w: the session was discarded (the handler panicked)", ErrCommitted)

// BindUser binds the session to a user, for the per-user index: listing a
// user's sessions (Store.ListSessions), ending one (RevokeSession) or all
// of them (DestroyUserSessions). Call it at login, after Renew: the
// binding is written at Save with the renewed record, in the same round
// trip. label is the app's short description of the session (a user
// agent, a device name), cut to MaxLabelLen bytes; it is listed with it.
// Binding a session bound to another user (a shared computer) leaves the
// first user's index and drops the first user's data (only this request's
// changes stay). Renew keeps the binding; Destroy ends it. It loads the
// session when needed.
func (s *Session) BindUser(user, label string) error {
	if s == nil {
		return ErrNoSession
	}
	if user == "" {
		return fmt.Errorf("%w: BindUser: empty user id", ErrInvalidOptions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lateChange() {
		return fmt.Errorf("%w: a binding would start a session", ErrCommitted)
	}
	if err := s.ensure(); err != nil {
		return err
	}
	if s.user != "" && s.user != user {
		// Another user's session (a shared computer): none of its data
		// may go to this one; this request's own changes stay.
		s.cleared = true
		s.applyPending(nil)
		s.loaded = true
	}
	s.bindUser, s.bindLabel, s.bindSet = user, capLabel(label), true
	return nil
}

// BoundUser returns the user the session is bound to (BindUser), or "".
// It loads the session when needed.
func (s *Session) BoundUser() (string, error) {
	if s == nil {
		return "", ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bindSet {
		return s.bindUser, nil
	}
	if err := s.ensure(); err != nil {
		return "", err
	}
	return s.user, nil
}

// Handle returns the session's handle, as Store.ListSessions shows it, or
// "" for a session not in the store yet. It changes with Renew (after
// Save).
func (s *Session) Handle() string {
	if tag := s.tag(); tag != "" {
		return handleOf(tag)
	}
	return ""
}

// RememberMe chooses, for this session, between a persistent cookie
// (remember: its Max-Age runs to the session's absolute deadline) and a
// browser-session cookie (dropped when the browser closes), overriding
// CookieOptions.BrowserSession; typically called at login, with the "keep
// me signed in" box. The choice travels in the sealed cookie, so it is
// kept across requests and Renew; the cookie is reissued at Save when the
// choice changes. It has no effect with the JWT transport (the client
// decides where it keeps the token).
func (s *Session) RememberMe(remember bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resolve()
	choice := persistOff
	if remember {
		choice = persistOn
	}
	if s.persist != choice {
		s.persist, s.persistSet = choice, true
	}
}

// IsNew reports whether the session was not in the store when the request
// began (or was destroyed during it). It loads the session when needed;
// should the store fail, it reports false and the failure is returned by
// Err and by Store.Save.
func (s *Session) IsNew() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ensure() == nil && s.isNew
}

// CreatedAt returns when the session was created (the zero time for a
// session not saved yet, or when the store failed).
func (s *Session) CreatedAt() time.Time {
	return s.meta(func() time.Time { return s.created })
}

// LastSeen returns when the session was used before this request (the zero
// time for a new session). Reads record it at most once per
// StoreOptions.RefreshInterval, so it is exact to within that interval.
func (s *Session) LastSeen() time.Time {
	return s.meta(func() time.Time { return s.seen })
}

// Deadline returns the session's absolute deadline.
func (s *Session) Deadline() time.Time {
	return s.meta(func() time.Time { return s.deadline })
}

func (s *Session) meta(get func() time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ensure() != nil {
		return time.Time{}
	}
	return get()
}

// Err returns the store failure, if any, that this session met during the
// request. Store.Save returns it too.
func (s *Session) Err() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
