package sessions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Journal bounds: past journalMax entries a write prunes the oldest down
// to journalKeep.
const (
	journalMax  = 64
	journalKeep = 48
)

// pruneLua holds the journal's Lua helpers: state reads _j (see below),
// and prune prunes the journal of the record k whose state _j was read as
// h, o, cnt (horizon, oldest issue time, count; times in µs), keeping
// entry `keepf` (the write's own) and the entries issued after cutoff
// (µs), and at most journalKeep in all; it sets h, o, cnt anew. Callers
// run it when o is at or before cutoff, or cnt passes journalMax.
var pruneLua = `
-- state reads the journal's state _j of record k: h, o, cnt. A _j that
-- does not parse (written by another build: Lua's %.14g prints a µs time
-- in exponent form) fails closed: the horizon becomes the newest entry's
-- issue time, so that no pruned write's retry can pass it.
local function state(k, j)
  local a, b, c = string.match(j, '^(%d+)%.(%d+)%.(%d+)$')
  if a then return tonumber(a), tonumber(b), tonumber(c) end
  local h, o, cnt = 0, 0, 0
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.byte(f, 1) == 95 and string.byte(f, 2) == 110 then
      local t = tonumber(string.match(f, '^_n(%d+)%.')) or 0
      if t > h then h = t end
      if o == 0 or t < o then o = t end
      cnt = cnt + 1
    end
  end
  local x = tonumber(string.match(j, '^([^.]*%.?%d*e%+%d+)%.')) or 0
  if x + 1000 > h then h = x + 1000 end
  return h, o, cnt
end
local function prune(k, h, cnt, cutoff, keepf)
  local es = {}
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.byte(f, 1) == 95 and string.byte(f, 2) == 110 and f ~= keepf then
      es[#es+1] = f
    end
  end
  -- Issue times have the same number of digits (µs, until 2286): the
  -- names sort as the times do.
  table.sort(es)
  local left, n, o = #es, 0, 0
  if keepf then left = left + 1 end
  for _, f in ipairs(es) do
    local t = tonumber(string.match(f, '^_n(%d+)%.')) or 0
    if t > cutoff and left <= ` + strconv.Itoa(journalKeep) + ` then o = t; break end
    left = left - 1
    if t > h then h = t end
    n = n + 1
  end
  if n > 0 then redis.call('HDEL', k, unpack(es, 1, n)) end
  return h, o, left
end
`

// writeScript applies a batch of changes to a record in one step.
//
//	KEYS[1] the record
//	ARGV[1] "c" creates the record and fails if it exists; "u" updates it
//	        and fails if it is missing, so a save never resurrects a session
//	ARGV[2] now (ms), ARGV[3] idle timeout (ms), ARGV[4] max data size,
//	ARGV[5] the journal's age limit (ms)
//	ARGV[6] the write's nonce ("<issued, Unix µs>.<random>")
//	ARGV[7] the verifier: the record's ("u"), or the new record's ("c")
//	ARGV[8] for "u" from Renew: the new verifier, else ""; the record may
//	        hold either verifier
//	ARGV[9] for "c": "<created>.<deadline>" (ms); for "u": "" or a new
//	        deadline (ms), which restarts the absolute lifetime
//	ARGV[10] for "u": the revision the record must have, or ""
//	ARGV[11] for "u": the session lock this request holds (Session.Lock),
//	        which the write requires, or ""
//	ARGV[12] "r" releases that lock after the write, or ""
//	ARGV[13...] ops: optional leading "x" (clear data), then
//	        "s" field value | "d" field | "i" field delta
//
// It returns {"ok", created, deadline, revision, previous last-seen, incr
// results...} as strings, or {status}. Every op and the size are checked
// before anything is written (a script is not rolled back when it fails
// half-way).
var writeScript = redis.NewScript(pruneLua + `
local k = KEYS[1]
-- call runs cmd on k with args, in pieces should they pass Lua's stack.
local function call(cmd, args)
  if #args <= 7000 then return redis.call(cmd, k, unpack(args)) end
  local out = {}
  for s = 1, #args, 7000 do
    local r = redis.call(cmd, k, unpack(args, s, math.min(s + 6999, #args)))
    if type(r) == 'table' then for _, v in ipairs(r) do out[#out+1] = v end end
  end
  return out
end
local mode, now, idle, max, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local entry = '_n' .. ARGV[6]
local issued = tonumber(string.match(ARGV[6], '^(%d+)%.'))
local i = 13
local clear = ARGV[i] == 'x'
if clear then i = i + 1 end
local first = i
local fields = {'_m', '_z', '_r', '_s', '_k', '_j', entry, '_x'}
while i <= #ARGV do
  fields[#fields+1] = ARGV[i+1]
  if ARGV[i] == 'd' then i = i + 2 else i = i + 3 end
end
local old = call('HMGET', fields)
local v, created, abs
if old[1] then v, created, abs = string.match(old[1], '^(%d+)%.(%d+)%.(%d+)$') end
-- 1. A retry of a write that was applied: the reply kept in the journal.
if old[7] and v == '3' then
  local out = {'ok', created, abs}
  for x in string.gmatch(old[7], '[^,]+') do out[#out+1] = x end
  table.insert(out, 5, old[4] or '0')
  return out
end
local z, rev, seen, stored
if mode == 'c' then
  if old[1] then
    -- 2. Its own retry (the entry pruned since), or a locator taken.
    if old[5] == ARGV[7] and v == '3' then return {'ok', created, abs, old[3] or '1', '0'} end
    return {'exists'}
  end
  created, abs = string.match(ARGV[9], '^(%d+)%.(%d+)$')
  z, rev, seen, stored, clear, old = 0, 0, '0', 0, true, {}
else
  if not old[1] then
    if redis.call('EXISTS', k) == 1 then return {'version'} end
    return {'gone'}
  end
  if v ~= '3' then return {'version'} end
  -- 2. The verifier: a credential that is not (any more) the session's
  -- reads as a missing session. A renewing write also passes under the
  -- verifier it installs: an earlier write of its request (an Incr whose
  -- reply the client never read) may have renewed the session already.
  if old[5] ~= ARGV[7] and (ARGV[8] == '' or old[5] ~= ARGV[8]) then return {'gone'} end
  if tonumber(abs) <= now then return {'gone'} end
end
-- 3. The horizon.
local h, o, cnt = 0, 0, 0
if old[6] then h, o, cnt = state(k, old[6]) end
if not issued or issued <= h then return {'unknown'} end
-- 4. The revision, and the lock this request holds.
if mode == 'u' then
  if ARGV[10] ~= '' and (old[3] or '0') ~= ARGV[10] then return {'conflict'} end
  if ARGV[11] ~= '' then
    local holder, till = string.match(old[8] or '', '^(.+)%.(%d+)$')
    if holder ~= ARGV[11] or tonumber(till) <= now then return {'locklost'} end
  end
  z, rev, seen = tonumber(old[2]) or 0, tonumber(old[3]) or 0, old[4] or '0'
  stored = z
  if clear then z = 0 end
end
abs = tonumber(abs)
-- Plan: the value each touched field ends with (false: deleted), and the
-- size that leaves. Fields named "_..." are metadata, not data.
local known, had = {}, {}
for n = 9, #fields do
  local f = fields[n]
  if had[f] == nil then
    local v = (not clear) and old[n] or false
    known[f], had[f] = v, v and true or false
  end
end
local big
i = first
while i <= #ARGV do
  local op, f = ARGV[i], ARGV[i+1]
  local cur = known[f]
  local data = string.byte(f, 1) ~= 95
  if cur and data then z = z - #f - #cur end
  if op == 's' then
    cur = ARGV[i+2]
    i = i + 3
  elseif op == 'd' then
    cur = false
    i = i + 2
  else
    cur = cur or '0'
    -- What HINCRBY takes: no leading zeros, no "-0".
    if #cur > 20 or not (cur == '0' or string.match(cur, '^%-?[1-9]%d*$')) then return {'notint'} end
    local v = tonumber(cur) + tonumber(ARGV[i+2])
    if v >= 9.2e18 or v <= -9.2e18 then return {'range'} end
    if math.abs(v) < 9007199254740992 and math.abs(tonumber(cur)) < 9007199254740992 and math.abs(tonumber(ARGV[i+2])) < 9007199254740992 then
      cur = string.format('%.0f', v)
    else
      -- Past 2^53 a double is not exact: HINCRBY computes it below,
      -- from the value planned so far; charge the most digits.
      big = {f, cur, ARGV[i+2]}
      cur = string.rep('9', 20)
    end
    i = i + 3
  end
  known[f] = cur
  if cur and data then z = z + #f + #cur end
end
-- A write that would pass the limit is refused, unless it shrinks a
-- session that is over it already.
if z > max and z > stored then return {'toolarge'} end
if clear and mode == 'u' then
  local del = {}
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.byte(f, 1) ~= 95 then del[#del+1] = f end
  end
  if #del > 0 then call('HDEL', del) end
end
-- The journal: room for this write's entry.
cnt = cnt + 1
if o == 0 or issued < o then o = issued end
if o <= (now - keep) * 1000 or cnt > ` + strconv.Itoa(journalMax) + ` then
  h, o, cnt = prune(k, h, cnt, (now - keep) * 1000, nil)
  cnt = cnt + 1
  if o == 0 or issued < o then o = issued end
end
rev = rev + 1
local set = {'_z', 0, '_s', ARGV[2], '_r', rev, '_j', string.format('%.0f.%.0f.%d', h, o, cnt)}
if mode == 'c' then
  set[#set+1] = '_m'; set[#set+1] = '3.' .. ARGV[9]
  set[#set+1] = '_k'; set[#set+1] = ARGV[7]
else
  if ARGV[8] ~= '' then set[#set+1] = '_k'; set[#set+1] = ARGV[8] end
  if ARGV[9] ~= '' then
    abs = tonumber(ARGV[9])
    set[#set+1] = '_m'; set[#set+1] = '3.' .. created .. '.' .. ARGV[9]
  end
end
local del = {}
if ARGV[12] == 'r' and old[8] then del[1] = '_x' end
for f, v in pairs(known) do
  if v then
    if not (big and big[1] == f) then set[#set+1] = f; set[#set+1] = v end
  elseif had[f] then
    del[#del+1] = f
  end
end
local out = {'ok', created, tostring(abs), tostring(rev), seen}
if big then
  redis.call('HSET', k, big[1], big[2])
  redis.call('HINCRBY', k, big[1], big[3])
  local v = redis.call('HGET', k, big[1])
  z = z - 20 + #v
  known[big[1]] = v
end
set[2] = z
local reply = tostring(rev)
i = first
while i <= #ARGV do
  if ARGV[i] == 'i' then
    out[#out+1] = known[ARGV[i+1]]
    reply = reply .. ',' .. known[ARGV[i+1]]
  end
  if ARGV[i] == 'd' then i = i + 2 else i = i + 3 end
end
set[#set+1] = entry; set[#set+1] = reply
call('HSET', set)
if #del > 0 then call('HDEL', del) end
redis.call('PEXPIRE', k, math.min(idle, abs - now))
return out
`)

// refreshScript refreshes a record's idle TTL and last-seen time (ARGV[1]
// now, ARGV[2] the idle timeout, in ms) if it still exists and ARGV[3] is
// its verifier, and prunes its journal of entries older than ARGV[4] ms.
// Retrying it is harmless.
var refreshScript = redis.NewScript(pruneLua + `
local k = KEYS[1]
local m = redis.call('HMGET', k, '_m', '_k', '_j')
if not m[1] or m[2] ~= ARGV[3] then return 0 end
local abs = tonumber(string.match(m[1], '^3%.%d+%.(%d+)$'))
local now = tonumber(ARGV[1])
if not abs or abs <= now then return 0 end
local set = {'_s', ARGV[1]}
if m[3] then
  local h, o, cnt = state(k, m[3])
  local cutoff = (now - tonumber(ARGV[4])) * 1000
  if cnt > 0 and o <= cutoff then
    h, o, cnt = prune(k, h, cnt, cutoff, nil)
    set[3] = '_j'; set[4] = string.format('%.0f.%.0f.%d', h, o, cnt)
  end
end
redis.call('HSET', k, unpack(set))
redis.call('PEXPIRE', k, math.min(tonumber(ARGV[2]), abs - now))
return 1
`)

// removeScript deletes the record KEYS[1] if ARGV[1] is its verifier: a
// stale credential (one a Renew replaced) cannot end the session. It
// returns the user the deleted record was bound to ("" for none), or
// false when it deleted nothing.
var removeScript = redis.NewScript(`
local m = redis.call('HMGET', KEYS[1], '_k', '_u')
if m[1] ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
return m[2] or ''
`)

// writeMode selects create or update for writeScript.
type writeMode byte

const (
	modeCreate writeMode = 'c'
	modeUpdate writeMode = 'u'
)

// errGone and errExists are internal outcomes of writeScript.
var (
	errGone   = errors.New("sessions: gone")
	errExists = errors.New("sessions: exists")
)

// errLockLost reports a write of a request whose session lock ended (its
// lease passed) before the write.
var errLockLost = errors.New("the session lock was lost (held past StoreOptions.LockLease)")

// errOutcomeUnknown reports a write refused because it may have been
// applied already: a retry that came after its journal entry was pruned.
var errOutcomeUnknown = errors.New("outcome unknown: a retry past the journal's horizon")

// journalAge is how long a journal entry is kept at least: past any retry
// of its write, which go-redis makes within the call's Timeout.
func (st *Store) journalAge() time.Duration { return 2 * st.opts.Timeout }

// newNonce names one write: its issue time (Unix µs) and 64 random bits.
// The journal's horizon is an issue time, and a write issued at or below
// it is refused: in µs, a write that follows another of the same process
// is never issued at the time of one pruned before it (in ms, a fast
// server's writes of one millisecond were).
func newNonce(now time.Time) string {
	var r [8]byte
	rand.Read(r[:])
	b := make([]byte, 0, 20+1+11)
	b = strconv.AppendInt(b, now.UnixMicro(), 10)
	b = append(b, '.')
	return string(base64.RawURLEncoding.AppendEncode(b, r[:]))
}

// load reads the record at key that cred verifies. A missing or expired
// record, or one that cred does not verify, returns nil. The read writes
// nothing: the caller refreshes the idle TTL (see refresh).
func (st *Store) load(ctx context.Context, key string, cred credential, now time.Time) (*record, error) {
	if st.cache != nil {
		return st.loadCached(ctx, key, cred, now)
	}
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	h, err := st.client.HGetAll(sctx, key).Result()
	if err != nil {
		return nil, st.failed(sctx, "load", start, err)
	}
	rec, err := parseRecord(h, now, "load")
	return verified(rec, cred), err
}

// verified returns rec if cred verifies it, else nil: exactly as a
// missing record.
func verified(rec *record, cred credential) *record {
	if rec == nil || !cred.verifies(rec.verifier) {
		return nil
	}
	return rec
}

// loadCached is load for a store with a local cache: a hit costs no round
// trip; on a miss the record's TTL comes in the same round trip, so that
// the entry never outlives the server's expiry, whatever the clocks and
// timeouts of the instance that wrote it. A cached record that cred does
// not verify is read again (it may predate a Renew made elsewhere).
func (st *Store) loadCached(ctx context.Context, key string, cred credential, now time.Time) (*record, error) {
	rec, owner := st.cache.get(key, now, st.opts.IdleTimeout)
	if rec != nil {
		if cred.verifies(rec.verifier) {
			return rec, nil
		}
		st.cache.forget(key)
		_, owner = st.cache.get(key, now, st.opts.IdleTimeout) // a placeholder now
	}
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	var hc *redis.MapStringStringCmd
	var tc *redis.DurationCmd
	_, err := st.client.Pipelined(sctx, func(p redis.Pipeliner) error {
		hc, tc = p.HGetAll(sctx, key), p.PTTL(sctx, key)
		return nil
	})
	if err != nil {
		return nil, st.failed(sctx, "load", start, err) // failed drops every entry
	}
	rec, err = parseRecord(hc.Val(), now, "load")
	if rec != nil {
		if ttl := tc.Val(); ttl > 0 {
			rec.expires = start.Add(ttl)
		} else {
			owner = 0 // no TTL to trust: not cached
		}
	}
	st.cache.put(key, owner, rec)
	return verified(rec, cred), err
}

// refresh sets the record's idle TTL and last-seen time, if it still
// exists and cred verifies it, and prunes its journal. Errors are the
// caller's to weigh: the session's data was read.
func (st *Store) refresh(ctx context.Context, key string, cred credential, now time.Time) error {
	st.forget(key)
	defer st.forget(key)
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	err := refreshScript.Run(sctx, st.client, []string{key}, now.UnixMilli(), st.args.idle, cred.verifier(), st.args.journal).Err()
	if err != nil {
		return st.failed(sctx, "refresh", start, err)
	}
	return nil
}

// queueWait adds, with WaitReplicas, a WAIT for the replicas to pipe, after
// the writes it holds; nil without.
func (st *Store) queueWait(ctx context.Context, pipe redis.Pipeliner) *redis.Cmd {
	if st.opts.WaitReplicas == 0 {
		return nil
	}
	// Half the Timeout, so that the answer comes before the deadline.
	return pipe.Do(ctx, "WAIT", st.opts.WaitReplicas, max(1, st.opts.Timeout.Milliseconds()/2))
}

// waited checks a WAIT that queueWait queued.
func (st *Store) waited(wait *redis.Cmd) error {
	if wait == nil {
		return nil
	}
	if n, err := wait.Int(); err != nil || n < st.opts.WaitReplicas {
		return fmt.Errorf("%d of %d replicas acknowledged the write", n, st.opts.WaitReplicas)
	}
	return nil
}

// writeResult is the outcome of a successful write.
type writeResult struct {
	created, deadline time.Time
	rev               int64
	seen              time.Time // last use before this write (zero for a create)
	incrs             []int64
}

// writeReq is one write of a record.
type writeReq struct {
	mode     writeMode
	verifier string    // the record's (modeUpdate), or the new record's (modeCreate)
	renew    string    // modeUpdate from Renew: the new verifier
	created  time.Time // modeCreate: the new record's creation time
	deadline time.Time // modeCreate: its deadline; modeUpdate: a new one (BindUser), or zero
	rev      string    // modeUpdate: the revision required, or ""
	lock     string    // modeUpdate: the session lock the request holds, or ""
	unlock   bool      // release that lock with the write
	ops      []any
	idx      []indexOp // user-index additions that go with the write
}

// write applies w to the record at key, in one round trip: the script,
// with the index additions and WaitReplicas' WAIT pipelined after it. A
// Renew whose outcome is unknown (its reply lost past Timeout, or fewer
// replicas than WaitReplicas acknowledged it) is sent once more with the
// same nonce, which its script recognises; should that fail too, it fails
// (closed: the caller issues no new credential and keeps no old one).
func (st *Store) write(ctx context.Context, key string, now time.Time, w writeReq) (writeResult, error) {
	st.forget(key)
	defer st.forget(key)
	args := make([]any, 0, 10+len(w.ops))
	meta := ""
	switch {
	case w.mode == modeCreate:
		meta = strconv.FormatInt(w.created.UnixMilli(), 10) + "." + strconv.FormatInt(w.deadline.UnixMilli(), 10)
	case !w.deadline.IsZero():
		meta = strconv.FormatInt(w.deadline.UnixMilli(), 10)
	}
	release := ""
	if w.unlock {
		release = "r"
	}
	args = append(args, string(w.mode), now.UnixMilli(), st.args.idle, st.args.max, st.args.journal,
		newNonce(now), w.verifier, w.renew, meta, w.rev, w.lock, release)
	args = append(args, w.ops...)
	res, err := st.writeOnce(ctx, key, now, w, args)
	if err != nil && w.renew != "" && errors.Is(err, ErrUnavailable) && !errors.Is(err, errOutcomeUnknown) && !errors.Is(err, errIndexFailed) {
		res, err = st.writeOnce(ctx, key, now, w, args)
	}
	return res, err
}

// writeOnce sends one write (see write).
func (st *Store) writeOnce(ctx context.Context, key string, now time.Time, w writeReq, args []any) (writeResult, error) {
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	keys := []string{key}
	var (
		res []string
		err error
	)
	if len(w.idx) == 0 && st.opts.WaitReplicas == 0 {
		res, err = writeScript.Run(sctx, st.client, keys, args...).StringSlice()
	} else {
		var wc, wait *redis.Cmd
		var icmds []*redis.Cmd
		err = st.pipeline(sctx, func(pipe redis.Pipeliner) {
			wc = writeScript.EvalSha(sctx, pipe, keys, args...)
			icmds = st.queueIndex(sctx, pipe, now, w.idx)
			wait = st.queueWait(sctx, pipe)
		})
		if wc != nil && (err == nil || wc.Err() != nil || len(w.idx) > 0) {
			// The pipeline's error may be an index addition's: the
			// write's own reply says whether it landed.
			res, err = wc.StringSlice()
		}
		if err == nil {
			err = st.waited(wait)
		}
		if err == nil && len(res) > 0 && res[0] == "ok" {
			// The index additions ran with the write: settle them.
			if ierr := st.indexed(ctx, now, w.idx, icmds); ierr != nil {
				if errors.Is(ierr, ErrTooManySessions) {
					return writeResult{}, ierr
				}
				return writeResult{}, st.failed(sctx, "index", start, ierr)
			}
		}
	}
	if err != nil {
		return writeResult{}, st.failed(sctx, "save", start, err)
	}
	return st.writeReply(sctx, start, res)
}

// writeReply reads writeScript's reply.
func (st *Store) writeReply(ctx context.Context, start time.Time, res []string) (writeResult, error) {
	if len(res) == 0 {
		return writeResult{}, st.failed(ctx, "save", start, errors.New("unexpected script reply"))
	}
	switch res[0] {
	case "ok":
	case "gone":
		return writeResult{}, errGone
	case "exists":
		return writeResult{}, errExists
	case "toolarge":
		return writeResult{}, fmt.Errorf("%w: save: over the limit of %d bytes", ErrTooLarge, st.opts.MaxSize)
	case "notint":
		return writeResult{}, fmt.Errorf("%w: incr", ErrNotInteger)
	case "range":
		return writeResult{}, fmt.Errorf("%w: incr", ErrOutOfRange)
	case "version":
		return writeResult{}, fmt.Errorf("%w: save", ErrIncompatibleRecord)
	case "conflict":
		return writeResult{}, fmt.Errorf("%w: save", ErrConflict)
	case "locklost":
		return writeResult{}, fmt.Errorf("%w: save: %w", ErrConflict, errLockLost)
	case "unknown":
		return writeResult{}, st.failed(ctx, "save", start, errOutcomeUnknown)
	default:
		return writeResult{}, st.failed(ctx, "save", start, errors.New("unexpected script reply"))
	}
	if len(res) < 5 {
		return writeResult{}, st.failed(ctx, "save", start, errors.New("unexpected script reply"))
	}
	out := writeResult{created: msTime(res[1]), deadline: msTime(res[2]), seen: msTime(res[4])}
	out.rev, _ = strconv.ParseInt(res[3], 10, 64)
	for _, v := range res[5:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		out.incrs = append(out.incrs, n)
	}
	return out, nil
}

// remove deletes the record at key if verifier is its verifier, in one
// round trip, and reports whether it did. The user's index entry is left
// to pruning (see accounts.go), but with MaxSessionsPerUser, where it is
// a seat: then it is removed in a second round trip, once the delete has
// succeeded.
func (st *Store) remove(ctx context.Context, key, verifier string) (bool, error) {
	st.forget(key)
	defer st.forget(key)
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	var user string
	var err error
	if st.opts.WaitReplicas == 0 {
		user, err = removeScript.Run(sctx, st.client, []string{key}, verifier).Text()
	} else {
		var rc, wait *redis.Cmd
		err = st.pipeline(sctx, func(pipe redis.Pipeliner) {
			rc = removeScript.EvalSha(sctx, pipe, []string{key}, verifier)
			wait = st.queueWait(sctx, pipe)
		})
		if rc != nil && (err == nil || rc.Err() != nil) {
			user, err = rc.Text()
		}
		if err == nil {
			err = st.waited(wait)
		}
	}
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, st.failed(sctx, "destroy", start, err)
	}
	if user != "" && st.opts.MaxSessionsPerUser > 0 {
		// Should this fail, the entry is pruned later: the session is
		// gone, which is what the caller asked.
		st.client.ZRem(sctx, st.indexKey(user), keyTag(key))
	}
	return true, nil
}

// Client is the go-redis client type the store takes, so that apps can
// name it without importing go-redis.
type Client = redis.UniversalClient

// Ping checks that the store answers, within StoreOptions.Timeout. Use it
// at start-up or in a readiness probe; the error wraps ErrUnavailable.
func (st *Store) Ping(ctx context.Context) error {
	sctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	if err := st.client.Ping(sctx).Err(); err != nil {
		return st.failed(sctx, "ping", start, err)
	}
	return nil
}
