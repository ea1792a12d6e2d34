package sessions

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The session lock (Session.Lock) lives in the session's own record, field
// _x: "<holder>.<lease end, Unix ms>", so that taking, checking and
// releasing it are steps on the session's one key, atomic and in its one
// hash slot. A holder is one request; its lease (StoreOptions.LockLease)
// ends the lock should the request die holding it. Only requests that call
// Lock wait for it: the lock orders the requests that take it, and leaves
// the others alone.

// lockScript takes (ARGV[1] "a") or releases ("r") the lock of the record
// KEYS[1] for holder ARGV[2], if ARGV[3] is its verifier (ARGV[4] now,
// ARGV[5] the lease, in ms). Taking returns 0 when taken (or held by the
// holder already: the lease is renewed), the ms left of another holder's
// lease, or -1 when the record is missing.
var lockScript = redis.NewScript(`
local k = KEYS[1]
local m = redis.call('HMGET', k, '_m', '_k', '_x')
if not m[1] or m[2] ~= ARGV[3] then return -1 end
local now = tonumber(ARGV[4])
local holder, till = string.match(m[3] or '', '^(.+)%.(%d+)$')
if ARGV[1] == 'r' then
  if holder == ARGV[2] then redis.call('HDEL', k, '_x') end
  return 0
end
if holder and holder ~= ARGV[2] and tonumber(till) > now then return tonumber(till) - now end
redis.call('HSET', k, '_x', ARGV[2] .. '.' .. (now + tonumber(ARGV[5])))
return 0
`)

// Defaults of the session lock.
const (
	DefaultLockLease = 10 * time.Second
	DefaultLockWait  = 5 * time.Second
)

// lock runs lockScript for op on the record at key.
func (st *Store) lock(ctx context.Context, key, verifier, holder, op string) (int64, error) {
	st.forget(key)
	defer st.forget(key)
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	n, err := lockScript.Run(sctx, st.client, []string{key}, op, holder, verifier,
		st.now().UnixMilli(), st.opts.LockLease.Milliseconds()).Int64()
	if err != nil {
		return 0, st.failed(sctx, "lock", start, err)
	}
	return n, nil
}

// Lock takes the session's lock: it waits until no other request of the
// same session holds it, for at most StoreOptions.LockWait, then fails with
// ErrLocked (answered 423). Use it around a flow that must not run twice
// at once for one session, such as a checkout that a double submit would
// otherwise charge twice: optimistic saves and Update stop lost writes,
// not a second run. The lock ends when this request's session is saved
// (Commit, before the response's first byte, or Save) or the request ends.
// Should the request outlive StoreOptions.LockLease, the lock ends anyway,
// and the request's next write fails with ErrConflict. The lock lives in
// the session's own key (so it works on a Cluster and behind Sentinel),
// and costs nothing to requests that never call Lock: they do not wait for
// it. On a session not in the store yet there is no one to wait for: Lock
// takes nothing and returns nil. Calling it again while holding the lock
// renews the lease.
func (s *Session) Lock() error {
	if s == nil {
		return ErrNoSession
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.discarded || s.committed {
		return fmt.Errorf("%w: lock", ErrCommitted)
	}
	s.resolve()
	if s.state != stateToken && s.state != stateLive {
		return nil
	}
	if s.holder == "" {
		s.holder = rand.Text()[:16]
	}
	deadline := s.st.now().Add(s.st.opts.LockWait)
	pause := 2 * time.Millisecond
	for {
		left, err := s.st.lock(s.ctx, s.key, s.cred.verifier(), s.holder, "a")
		switch {
		case err != nil:
			if !callerGone(err) {
				s.err = err
			}
			return err
		case left == 0:
			s.locked = true
			return nil
		case left < 0:
			return nil // gone, or not this credential's: nothing to wait for
		}
		remain := deadline.Sub(s.st.now())
		if remain <= 0 {
			return fmt.Errorf("%w: held by another request for %v more", ErrLocked, time.Duration(left)*time.Millisecond)
		}
		wait := min(pause, time.Duration(left)*time.Millisecond, remain)
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.ctx.Done():
		}
		t.Stop()
		s.mu.Lock()
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("sessions: lock: %w", err)
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// unlock releases the lock the request holds, when its save wrote
// nothing that released it; it runs whatever ctx does.
func (s *Session) unlock(ctx context.Context) {
	if !s.locked {
		return
	}
	s.locked = false
	if s.state == stateToken || s.state == stateLive {
		// Should the release fail, the lease ends the lock.
		_, _ = s.st.lock(context.WithoutCancel(ctx), s.key, s.cred.verifier(), s.holder, "r")
	}
}
