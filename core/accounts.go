package sessions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// A per-user session index: sessions bound to a user (Session.BindUser)
// are listed in a sorted set per user, under the key
// prefix + "u:{" + hash of the user id + "}", whose members are the tags of
// the sessions' keys (derived from their locators, so an entry stays the
// same across Renew), scored by the order in which they were added (Unix
// ms, strictly increasing). The index lives in another hash slot than the
// sessions, so no step spans both: a session's record and its index entry
// are written by separate commands (pipelined in one round trip), and
// every reader of the index copes with either coming first:
//
//   - an entry is removed only once its session is known to be gone: after
//     a delete that checked the session's binding (RevokeSession,
//     DestroyUserSessions, the cap), or by pruning, which drops an entry
//     whose session is missing or bound to another user once it is older
//     than settleTime (its create may still be on its way); a stale
//     request can therefore never drop a live session's only entry;
//   - DestroyUserSessions removes only the entries of sessions it deleted,
//     so a login racing it either dies with its entry or keeps both;
//   - saves never create records, so no slow request can bring a destroyed
//     session back.
//
// Entries older than AbsoluteTimeout are dropped on every touch of the
// index (no session outlives that), and the index key expires
// AbsoluteTimeout after its last addition.

// Field names of the binding in a session record.
const (
	fieldUser  = "_u" // the bound user id
	fieldLabel = "_l" // the app's label for the session (a user agent, say)
)

// MaxLabelLen caps a session's label, in bytes.
const MaxLabelLen = 200

// SessionInfo describes one live session of a user, for a "where you're
// signed in" page. It holds no id and no store key: Handle names the
// session for RevokeSession, and cannot be turned into a credential.
type SessionInfo struct {
	Handle   string    `json:"handle"`   // opaque and stable for the session's whole life, across Renew
	Created  time.Time `json:"created"`  // when the session was created
	LastSeen time.Time `json:"lastSeen"` // its last use (exact to within StoreOptions.RefreshInterval)
	Label    string    `json:"label"`    // what the app passed to BindUser
	Current  bool      `json:"current"`  // it is the session ListSessions was given
}

// indexScript adds the members ARGV[3...] to a user's index (KEYS[1]),
// scored ARGV[1] (now, ms), or just after the newest entry should that be
// later, so that the index's order is the order of the additions, which
// the cap relies on. It first drops the entries older than ARGV[2] ms, and
// leaves the key to live that long; it returns the entry count.
var indexScript = redis.NewScript(`
local k = KEYS[1]
local now, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now - keep)
local score = now
local top = redis.call('ZREVRANGE', k, 0, 0, 'WITHSCORES')
if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
for i = 3, #ARGV do redis.call('ZADD', k, score, ARGV[i]) end
redis.call('PEXPIRE', k, keep)
return redis.call('ZCARD', k)
`)

// admitScript takes a seat for the session ARGV[4] in a user's index
// (KEYS[1]) under RefuseOverCap: it adds the entry, or moves one already
// there to the newest (as indexScript does; ARGV[1] now, ARGV[2] the
// entries' age limit), and returns 1, if the entry is there or the index
// holds fewer than ARGV[3] entries; else it returns 0 and adds nothing.
// BindUser takes the seat, and the binding's write takes it again, in its
// pipeline: a seat pruned meanwhile (its login slower than settleTime)
// and taken by another login is refused then, and the binding undone.
var admitScript = redis.NewScript(`
local k = KEYS[1]
local now, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now - keep)
if not redis.call('ZSCORE', k, ARGV[4]) and redis.call('ZCARD', k) >= tonumber(ARGV[3]) then return 0 end
local score = now
local top = redis.call('ZREVRANGE', k, 0, 0, 'WITHSCORES')
if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
redis.call('ZADD', k, score, ARGV[4])
redis.call('PEXPIRE', k, keep)
return 1
`)

// admit takes a seat for the session, under RefuseOverCap, in user's
// index, atomically: of logins at once, as many as there are free seats
// get one. A full index is pruned of the entries of sessions that ended
// (see userEntries) and tried once more; then the login is refused with
// ErrTooManySessions. A seat taken by a login whose save never comes is
// pruned like the entry of an ended session.
func (s *Session) admit(ctx context.Context, user string) error {
	tag := keyTag(s.key)
	if s.admitted == user+"\x00"+tag {
		return nil
	}
	st := s.st
	for attempt := 0; ; attempt++ {
		sctx, cancel := st.storeCtx(ctx)
		start := st.now()
		ok, err := admitScript.Run(sctx, st.client, []string{st.indexKey(user)},
			start.UnixMilli(), st.indexKeep().Milliseconds(), st.opts.MaxSessionsPerUser, tag).Bool()
		if err != nil {
			err = st.failed(sctx, "index", start, err)
		}
		cancel()
		switch {
		case err != nil:
			return err
		case ok:
			s.admitted = user + "\x00" + tag
			return nil
		case attempt > 0:
			return fmt.Errorf("%w: %d sessions already", ErrTooManySessions, st.opts.MaxSessionsPerUser)
		}
		if _, _, err := st.userEntries(ctx, user); err != nil {
			return err
		}
	}
}

// unindexScript removes entries from a user's index (KEYS[1]): ARGV holds
// pairs of a member and the score it was read with, or "" to remove it
// whatever its score. A member whose score changed since it was read (a
// login bound its session to the user again meanwhile: the tag is the
// same, the score new) stays.
var unindexScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV, 2 do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and (ARGV[i+1] == '' or tonumber(s) == tonumber(ARGV[i+1])) then
    n = n + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return n
`)

// unindex removes the entries pairs names (see unindexScript).
func (st *Store) unindex(ctx context.Context, user string, pairs []any) error {
	if len(pairs) == 0 {
		return nil
	}
	return unindexScript.Run(ctx, st.client, []string{st.indexKey(user)}, pairs...).Err()
}

// score formats an index score as unindexScript compares it.
func score(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// endScript ends the session at KEYS[1] if it is bound to user ARGV[1]:
// a session bound to another user since is left alone. It returns 1 when
// it deleted the session.
var endScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], '_u') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`)

// indexOp is an addition to a user's index that a save makes.
type indexOp struct {
	user string
	tag  string
}

// indexKeep is how long an index entry may stand: no session outlives
// its absolute timeout from its last Renew or creation.
func (st *Store) indexKeep() time.Duration { return st.opts.AbsoluteTimeout + time.Minute }

// settleTime is how long an index entry whose session is missing is
// kept: its session's create may still be on its way.
func (st *Store) settleTime() time.Duration { return max(10*time.Second, 2*st.opts.Timeout) }

// queueIndex adds the index additions ops to pipe.
func (st *Store) queueIndex(ctx context.Context, pipe redis.Pipeliner, now time.Time, ops []indexOp) []*redis.Cmd {
	var cmds []*redis.Cmd
	for _, op := range ops {
		if st.opts.RefuseOverCap {
			cmds = append(cmds, admitScript.EvalSha(ctx, pipe, []string{st.indexKey(op.user)},
				now.UnixMilli(), st.indexKeep().Milliseconds(), st.opts.MaxSessionsPerUser, op.tag))
			continue
		}
		cmds = append(cmds, indexScript.EvalSha(ctx, pipe, []string{st.indexKey(op.user)},
			now.UnixMilli(), st.indexKeep().Milliseconds(), op.tag))
	}
	return cmds
}

// indexed settles the index additions ops that went (as cmds) with a
// write that was saved. A failed addition is tried once more (its error
// is returned: the session stands, but its entry may be missing); then
// the cap is enforced (the user's oldest live sessions past
// MaxSessionsPerUser end, never the one just added nor a newer one), and
// a large index is pruned of ended sessions every pruneEvery additions
// past pruneFrom, so that a user who logs in often and never logs out
// keeps a small index. It runs to its end whatever ctx does, within
// Timeout per step.
func (st *Store) indexed(ctx context.Context, now time.Time, ops []indexOp, cmds []*redis.Cmd) error {
	ctx = context.WithoutCancel(ctx)
	results := make([]*redis.Cmd, len(ops))
	copy(results, cmds)
	var again []int
	for i := range ops {
		if results[i] == nil || results[i].Err() != nil {
			again = append(again, i)
		}
	}
	var err error
	if len(again) > 0 {
		retry := make([]indexOp, len(again))
		for j, i := range again {
			retry[j] = ops[i]
		}
		sctx, cancel := st.storeCtx(ctx)
		var rc []*redis.Cmd
		err = st.pipeline(sctx, func(pipe redis.Pipeliner) { rc = st.queueIndex(sctx, pipe, now, retry) })
		cancel()
		for j, i := range again {
			results[i] = rc[j]
			if err == nil {
				err = rc[j].Err()
			}
		}
	}
	for i, op := range ops {
		if results[i] == nil || results[i].Err() != nil {
			continue
		}
		n, _ := results[i].Int()
		if st.opts.RefuseOverCap {
			if n == 0 {
				return fmt.Errorf("%w: the seat was taken by another login meanwhile", ErrTooManySessions)
			}
			continue
		}
		if limit := st.opts.MaxSessionsPerUser; limit > 0 && int(n) > limit {
			st.enforceCap(ctx, op.user, op.tag)
		} else if n >= pruneFrom && n%pruneEvery == 0 {
			_, _, _ = st.userEntries(ctx, op.user) // pruning only: a failure leaves it to the next one
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errIndexFailed, err)
	}
	return nil
}

// errIndexFailed reports a write that landed while its index addition
// failed, twice: the caller takes the binding back (see Session.flush).
var errIndexFailed = errors.New("the session's index entry could not be written")

// enforceCap ends the oldest live sessions of user past MaxSessionsPerUser,
// and never keep (the one just added) nor one added after it: two logins
// at once must not end each other, and the later one's own cap check
// ends the earlier if it must. The index orders entries by score, then
// by member, the same for every reader.
func (st *Store) enforceCap(ctx context.Context, user, keep string) {
	live, _, err := st.userEntries(ctx, user)
	if err != nil {
		return
	}
	older := slices.Index(live, keep)
	if older < 0 {
		return
	}
	if over := min(len(live)-st.opts.MaxSessionsPerUser, older); over > 0 {
		_, _ = st.end(ctx, user, live[:over], nil) // the login stands; a failed end is retried by the next login's cap
	}
}

// Index pruning of ended sessions at login: see indexed.
const (
	pruneFrom  = 64
	pruneEvery = 16
)

// pipeline runs fn's commands in one round trip. Scripts in a pipeline run
// by SHA, which cannot fall back to EVAL by itself: on NOSCRIPT (a server
// that restarted, or a new one) the scripts are loaded and the pipeline
// run once more, which is safe, since its writes are retry-safe.
func (st *Store) pipeline(ctx context.Context, fn func(redis.Pipeliner)) error {
	for attempt := 0; ; attempt++ {
		cmds, err := st.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			fn(pipe)
			return nil
		})
		if err == nil || attempt > 0 || !noScript(cmds) {
			return err
		}
		for _, s := range []*redis.Script{writeScript, indexScript, endScript, removeScript, admitScript, lockScript, unindexScript} {
			if err := s.Load(ctx, st.client).Err(); err != nil {
				return err
			}
		}
	}
}

// noScript reports whether a command of a pipeline failed for a script
// the server did not have.
func noScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			return true
		}
	}
	return false
}

// userEntries reads a user's index and the sessions it names, pruning the
// entries of sessions that ended. It returns the live ones, by key tag.
func (st *Store) userEntries(ctx context.Context, user string) ([]string, map[string][]any, error) {
	if user == "" {
		return nil, nil, fmt.Errorf("%w: empty user id", ErrInvalidOptions)
	}
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	now := st.now()
	ikey := st.indexKey(user)
	members, err := st.client.ZRangeWithScores(ctx, ikey, 0, -1).Result()
	if err != nil {
		return nil, nil, st.failed(ctx, "index", start, err)
	}
	if len(members) == 0 {
		return nil, nil, nil
	}
	cmds := make([]*redis.SliceCmd, len(members))
	_, err = st.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, m := range members {
			cmds[i] = pipe.HMGet(ctx, st.tagKey(m.Member.(string)), fieldMeta, fieldSeen, fieldLabel, fieldUser)
		}
		return nil
	})
	if err != nil {
		return nil, nil, st.failed(ctx, "index", start, err)
	}
	var live []string
	infos := make(map[string][]any, len(members))
	var dead []any
	settled := now.Add(-st.settleTime()).UnixMilli()
	for i, m := range members {
		tag := m.Member.(string)
		v := cmds[i].Val()
		_, deadline, ok := parseMeta(str(v[0]))
		switch {
		case ok && deadline.After(now) && str(v[3]) == user:
			live = append(live, tag)
			infos[tag] = v
		case int64(m.Score) < settled:
			// Ended (or bound to another user since): prune it. A
			// younger entry may belong to a create still on its way.
			dead = append(dead, tag, score(m.Score))
		}
	}
	_ = st.unindex(ctx, user, dead) // pruning only: a failure leaves it to the next one
	return live, infos, nil
}

// str reads a nullable HMGET value.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// ListSessions returns the live sessions bound to user, oldest first,
// marking current (the session of the request at hand, or nil) as
// Current. It prunes the index of sessions that ended. It needs no
// request: a background job may call it.
func (st *Store) ListSessions(ctx context.Context, user string, current *Session) ([]SessionInfo, error) {
	live, infos, err := st.userEntries(ctx, user)
	if err != nil {
		return nil, err
	}
	cur := current.tag()
	out := make([]SessionInfo, 0, len(live))
	for _, tag := range live {
		v := infos[tag]
		created, _, _ := parseMeta(str(v[0]))
		out = append(out, SessionInfo{
			Handle:   handleOf(tag),
			Created:  created,
			LastSeen: msTime(str(v[1])),
			Label:    str(v[2]),
			Current:  tag == cur,
		})
	}
	slices.SortStableFunc(out, func(a, b SessionInfo) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// RevokeSession ends the session of user named by handle (from
// ListSessions) at once, wherever it is in use, and returns how many
// sessions it ended: 0 when handle names no live session of user. current
// is the session of the request at hand (or nil, from a background job):
// should handle name it, it is destroyed as Session.Destroy does, and its
// token is cleared in this response.
func (st *Store) RevokeSession(ctx context.Context, user, handle string, current *Session) (int, error) {
	if handle != "" && current.Handle() == handle {
		if u, err := current.BoundUser(); err != nil || u != user {
			return 0, err
		}
		ended, err := current.destroy()
		if err != nil || !ended {
			return 0, err
		}
		return 1, nil
	}
	live, _, err := st.userEntries(ctx, user)
	if err != nil {
		return 0, err
	}
	for _, tag := range live {
		if handleOf(tag) == handle {
			return st.end(ctx, user, []string{tag}, nil)
		}
	}
	return 0, nil
}

// DestroyUserSessions ends every session bound to user ("log out
// everywhere": after a password change, say) but except (the session of
// the request at hand, for "sign out my other sessions"; nil for none),
// and returns how many it ended. A session whose save is under way when it
// runs cannot come back (saves never create records); a login racing it
// either ends with it or survives with its index entry.
func (st *Store) DestroyUserSessions(ctx context.Context, user string, except *Session) (int, error) {
	if user == "" {
		return 0, fmt.Errorf("%w: empty user id", ErrInvalidOptions)
	}
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	members, err := st.client.ZRangeWithScores(ctx, st.indexKey(user), 0, -1).Result()
	if err != nil {
		return 0, st.failed(ctx, "index", start, err)
	}
	keep := except.tag()
	var tags []string
	settled := map[string]string{}
	limit := st.now().Add(-st.settleTime()).UnixMilli()
	for _, m := range members {
		if tag := m.Member.(string); tag != keep {
			tags = append(tags, tag)
			if int64(m.Score) < limit {
				settled[tag] = score(m.Score)
			}
		}
	}
	return st.end(ctx, user, tags, settled)
}

// end deletes the sessions of user at tags and removes from the index the
// entries of those it deleted, and of those that had ended already when
// settled gives the score their old enough entry was read with (see
// userEntries): such an entry stays should a login have renewed it since.
func (st *Store) end(ctx context.Context, user string, tags []string, settled map[string]string) (int, error) {
	if len(tags) == 0 {
		return 0, nil
	}
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	cmds := make([]*redis.Cmd, len(tags))
	keys := make([]string, len(tags))
	for i, tag := range tags {
		keys[i] = st.tagKey(tag)
	}
	st.forget(keys...)
	defer st.forget(keys...)
	var wait *redis.Cmd
	err := st.pipeline(ctx, func(pipe redis.Pipeliner) {
		for i := range tags {
			k := keys[i]
			cmds[i] = endScript.EvalSha(ctx, pipe, []string{k}, user)
		}
		wait = st.queueWait(ctx, pipe)
	})
	if err == nil {
		err = st.waited(wait)
	}
	if err != nil {
		return 0, st.failed(ctx, "destroy", start, err)
	}
	var n int
	var gone []any
	for i, c := range cmds {
		switch r, _ := c.Int(); {
		case r == 1:
			n++
			gone = append(gone, tags[i], "")
		case settled[tags[i]] != "":
			gone = append(gone, tags[i], settled[tags[i]])
		}
	}
	if n > 0 {
		st.emit(ctx, Event{Kind: EventDestroyed, Count: n})
	}
	// Not the entries of sessions still being created: they stay.
	if err := st.unindex(ctx, user, gone); err != nil {
		return n, st.failed(ctx, "index", start, err)
	}
	return n, nil
}

// tag returns the key tag of the session, or "" for none: a session not
// in the store, or whose credential the store does not verify (read once,
// should the request not have read it yet), so that a stale credential
// names no session (not as current, nor as one to spare).
func (s *Session) tag() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ensure() != nil || s.state != stateLive {
		return ""
	}
	return keyTag(s.key)
}

// capLabel cuts a label to MaxLabelLen bytes, on a rune boundary.
func capLabel(label string) string {
	if len(label) <= MaxLabelLen {
		return label
	}
	label = label[:MaxLabelLen]
	for len(label) > 0 && !utf8.ValidString(label) {
		label = label[:len(label)-1]
	}
	return label
}
