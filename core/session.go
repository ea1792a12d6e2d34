package sessions

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	res, err := s.flush(s.ctx, s.st.now(), []any{"i", f, delta}, s.committed)
	if err == errGone {
		return 0, fmt.Errorf("%w: incr would start a session", ErrCommitted)
	}
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			s.err = err
		}
		return 0, err
	}
	if len(res.incrs) == 0 {
		// A retry recognised by its verifier alone (its journal entry
		// pruned): the increment's result was not kept.
		err := unavailable("incr", errOutcomeUnknown)
		s.err = err
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
		_, err = s.flush(s.ctx, s.st.now(), nil, s.committed)
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
	time.Sleep(time.Duration(mrand.Int64N(int64(attempt+1) * int64(2*time.Millisecond)))) //nolint:gosec // jitter, not a secret
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

// Renew replaces the session's credential and kills the old one, keeping
// the session, its data, its handle and its absolute deadline. Call it on
// login and on any change of privilege, to defeat session fixation. It
// costs no round trip of its own: the new secret is written with the
// request's next write (at Save, or an Incr or Update before it), in the
// same script as the request's changes, and the old secret dies when
// that script runs; the client gets its new token in this response. Until
// then the old credential still works, for this request and others.
// Should the Renew's write fail, nothing of it stands and Save fails;
// should its outcome be unknown (its reply lost twice), Save fails closed:
// the client is given neither the new credential nor, by this response,
// the old one again. After the response was committed Renew fails with
// ErrCommitted (the new token could not be sent).
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
		// Not in the store: a new session is created with a credential
		// of its own.
		return nil
	}
	if !s.renew {
		s.renew, s.next = true, s.cred.renewed()
	}
	return nil
}

// Destroy deletes the session from the store at once and, at Save, tells
// the client to drop its token. The Session stays usable as a new, empty
// session: a later Set starts a new one (for example to carry a "logged
// out" flash message). A credential that a Renew elsewhere replaced ends
// nothing: it only loses its token.
func (s *Session) Destroy() error {
	_, err := s.destroy()
	return err
}

// destroy is Destroy; it reports whether it ended a session in the store.
func (s *Session) destroy() (bool, error) {
	if s == nil {
		return false, ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.discarded {
		return false, errDiscarded
	}
	s.resolve()
	ended := false
	if s.state == stateToken || s.state == stateLive {
		var err error
		ended, err = s.st.remove(s.ctx, s.key, s.cred.verifier())
		if err != nil {
			if !callerGone(err) {
				s.err = err
			}
			return false, err
		}
		s.clearToken = true
		if ended {
			s.st.emit(s.ctx, Event{Kind: EventDestroyed, Count: 1})
		}
	}
	s.fresh()
	s.dirty, s.cleared, s.issue, s.rewrite, s.bindSet = nil, false, false, false, false
	s.persist, s.persistSet = persistDefault, false // a later session is a new one
	return ended, nil
}

// errDiscarded is what changes that need the store get after
// Store.Discard.
var errDiscarded = fmt.Errorf("%w: the session was discarded (the handler panicked)", ErrCommitted)

// BindUser binds the session to a user, for the per-user index: listing a
// user's sessions (Store.ListSessions), ending one (RevokeSession) or all
// of them (DestroyUserSessions). Call it at login, after Renew: the
// binding is written at Save with the Renew, in the same script, and the
// index entry in the same round trip. label is the app's short description of the session (a user
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
	if s.st.opts.RefuseOverCap {
		if s.state == stateFresh && !s.drawn {
			// The seat is taken now, under the locator the session will
			// be created with.
			s.setCred(newCredential())
			s.drawn = true
		}
		if err := s.admit(s.ctx, user); err != nil {
			return err
		}
	}
	if s.user != "" && s.user != user {
		// Another user's session (a shared computer): none of its data
		// may go to this one; this request's own changes stay.
		s.cleared = true
		s.applyPending(nil)
		s.loaded = true
	}
	s.bindUser, s.bindLabel, s.bindSet = user, capLabel(label), true
	s.authAt = s.st.now()
	return nil
}

// AuthenticatedAt returns when the bound user last proved who they are:
// the time of BindUser (a login), or of Reauthenticated since. It is the
// zero time while no user is bound. It is stored in the session's record,
// so every instance sees it; Renew and key rotation keep it. Use it for a
// "sudo mode": refuse a sensitive action (change the email address, delete
// the account) when it is older than a few minutes, and ask for the
// password again. It loads the session when needed.
func (s *Session) AuthenticatedAt() time.Time {
	return s.meta(func() time.Time {
		if u, _ := s.binding(); u == "" {
			return time.Time{}
		}
		return s.authAt
	})
}

// Reauthenticated records that the bound user proved who they are just
// now (after a password prompt): AuthenticatedAt becomes now, written at
// Save. It fails with ErrNoUser when no user is bound, and loads the
// session when needed.
func (s *Session) Reauthenticated() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lateChange() {
		return fmt.Errorf("%w: reauthenticated", ErrCommitted)
	}
	if err := s.ensure(); err != nil {
		return err
	}
	if u, _ := s.binding(); u == "" {
		return fmt.Errorf("%w: reauthenticated", ErrNoUser)
	}
	s.authAt, s.reauth = s.st.now(), true
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
// "" for a session not in the store (or whose credential the store does
// not verify; it loads the session when needed). It stays the same for
// the session's whole life, across Renew.
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
