package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stored record layout (version 2): one hash per session, under the key
// prefix + "{" + tag + "}", where tag is 22 characters of base64url
// SHA-256 of the session id. Every step on a session touches that key and,
// for retried writes and Renew, keys that share its hash tag, so each step
// runs in one hash slot of a Cluster.
//
//	_m  "2.<created>.<deadline>": format version, creation time and
//	    absolute deadline (Unix ms); written once, at creation
//	_s  last seen (Unix ms): set by every write, and by a read at most
//	    once per RefreshInterval
//	_r  revision, incremented by every write (for optimistic concurrency)
//	_z  size of the data fields in bytes (names plus values)
//	_u  the user the session is bound to, _l the app's label for it
//	    (Session.BindUser; see accounts.go for the per-user index)
//	d:K the encoded value of session key K
//	f:T flash message queued at time T (Unix ns, zero-padded), a JSON string
//
// The key's TTL is min(IdleTimeout, deadline-now), set by every write and
// refresh; the server's expiry enforces both timeouts, so a read is a plain
// HGETALL. Beside the record live, for a few seconds, its journal keys
// (key + ":" + nonce): the reply of a recent write, or the record a Renew
// took, so that a client's retry after a lost reply is recognised however
// many writes came in between.
const (
	recordVersion = "2"
	fieldMeta     = "_m"
	fieldSeen     = "_s"
	fieldRev      = "_r"
	fieldSize     = "_z"
	dataPrefix    = "d:"
	flashPrefix   = "f:"
)

// writeScript applies a batch of changes to a record in one step.
//
//	KEYS[1] the record; KEYS[2] this write's journal key
//	ARGV[1] "c" creates the record and fails if it exists; "u" updates it
//	        and fails if it is missing, so a save never resurrects a session
//	ARGV[2] now (ms), ARGV[3] idle timeout (ms), ARGV[4] max data size,
//	ARGV[5] journal TTL (ms)
//	ARGV[6] for "c": "<created>.<deadline>" (ms)
//	ARGV[7] for "c" from Renew: the taken record's data size (a renewed
//	        session over the limit may still shrink)
//	ARGV[8] for "u": the revision the record must have, or ""
//	ARGV[9...] ops: optional leading "x" (clear data), then
//	        "s" field value | "d" field | "i" field delta
//
// It returns {"ok", created, deadline, revision, previous last-seen, incr
// results...} as strings, or {status}. Every op and the size are checked
// before anything is written (a script is not rolled back when it fails
// half-way). The reply is kept under the journal key, so that a retry of
// the same write gets it again instead of a second application.
var writeScript = redis.NewScript(`
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
local done = redis.call('GET', KEYS[2])
if done then
  local out = {}
  for v in string.gmatch(done, '[^,]+') do out[#out+1] = v end
  return out
end
local mode, now, idle, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 9
local clear = ARGV[i] == 'x'
if clear then i = i + 1 end
local first = i
local fields = {'_m', '_z', '_r', '_s'}
while i <= #ARGV do
  fields[#fields+1] = ARGV[i+1]
  if ARGV[i] == 'd' then i = i + 2 else i = i + 3 end
end
local created, abs, z, rev, seen, stored, old
if mode == 'c' then
  if redis.call('EXISTS', k) == 1 then return {'exists'} end
  created, abs = string.match(ARGV[6], '^(%d+)%.(%d+)$')
  z, rev, seen, stored, clear, old = 0, 0, '0', tonumber(ARGV[7]) or 0, true, {}
else
  old = call('HMGET', fields)
  if not old[1] then
    if redis.call('EXISTS', k) == 1 then return {'version'} end
    return {'gone'}
  end
  local v
  v, created, abs = string.match(old[1], '^(%d+)%.(%d+)%.(%d+)$')
  if v ~= '2' then return {'version'} end
  if tonumber(abs) <= now then return {'gone'} end
  if ARGV[8] ~= '' and (old[3] or '0') ~= ARGV[8] then return {'conflict'} end
  z, rev, seen = tonumber(old[2]) or 0, tonumber(old[3]) or 0, old[4] or '0'
  stored = z
  if clear then z = 0 end
end
abs = tonumber(abs)
-- Plan: the value each touched field ends with (false: deleted), and the
-- size that leaves. Fields named "_..." are metadata, not data.
local known, had = {}, {}
for n = 5, #fields do
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
rev = rev + 1
local set = {'_z', 0, '_s', ARGV[2], '_r', rev}
if mode == 'c' then set[#set+1] = '_m'; set[#set+1] = '2.' .. ARGV[6] end
local del = {}
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
call('HSET', set)
if #del > 0 then call('HDEL', del) end
i = first
while i <= #ARGV do
  if ARGV[i] == 'i' then out[#out+1] = known[ARGV[i+1]] end
  if ARGV[i] == 'd' then i = i + 2 else i = i + 3 end
end
redis.call('PEXPIRE', k, math.min(idle, abs - now))
redis.call('SET', KEYS[2], table.concat(out, ','), 'PX', ARGV[5])
return out
`)

// refreshScript refreshes a record's idle TTL and last-seen time (ARGV[1]
// now, ARGV[2] the idle timeout, in ms), if it still exists. Retrying it is
// harmless.
var refreshScript = redis.NewScript(`
local k = KEYS[1]
local m = redis.call('HGET', k, '_m')
if not m then return 0 end
local abs = tonumber(string.match(m, '^2%.%d+%.(%d+)$'))
local now = tonumber(ARGV[1])
if not abs or abs <= now then return 0 end
redis.call('HSET', k, '_s', ARGV[1])
redis.call('PEXPIRE', k, math.min(tonumber(ARGV[2]), abs - now))
return 1
`)

// A Renew takes the old record by renaming it to its take key, key + ":t"
// (same hash slot; the record keeps its TTL there, so a slow request after
// its Renew loses nothing), marked with the take's nonce (_n). The old id
// is dead at once. The new record's create is pipelined with finishScript,
// which settles the take: should the take key be gone (a Destroy, or "log
// out everywhere", deleted it meanwhile), the new record is deleted again
// and the request's own changes start a fresh session, so a destroyed
// session never comes back through a Renew in flight.

// takeScript takes the record KEYS[1] to KEYS[2] (its take key) for the
// take named ARGV[1] (ARGV[2] now, ms). A retry of the same take gets the
// data again; a take that arrives after it was undone (KEYS[3], its undo
// marker, exists) takes nothing. It returns the record's fields and values
// (a record of another format is returned without being taken, for the
// caller to refuse), or nil.
var takeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local t = redis.call('TYPE', KEYS[2]).ok
if t == 'hash' and redis.call('HGET', KEYS[2], '_n') == ARGV[1] then return redis.call('HGETALL', KEYS[2]) end
local m = redis.call('HGET', KEYS[1], '_m')
if not m then return redis.call('HGETALL', KEYS[1]) end
local abs = tonumber(string.match(m, '^2%.%d+%.(%d+)$'))
if not abs then return redis.call('HGETALL', KEYS[1]) end
if abs <= tonumber(ARGV[2]) or t ~= 'none' then return false end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], '_n', ARGV[1], '_tt', ARGV[2])
return redis.call('HGETALL', KEYS[2])
`)

// untakeScript undoes the take ARGV[1] (KEYS as takeScript's; ARGV[2] now,
// ARGV[3] the idle timeout, ARGV[4] the journal TTL, in ms) whose new
// record could not be written: the old record lives again under KEYS[1].
// When the take has not reached the store (yet), it leaves the undo marker
// KEYS[3], so that a take still on its way takes nothing.
var untakeScript = redis.NewScript(`
if redis.call('TYPE', KEYS[2]).ok == 'hash' and redis.call('HGET', KEYS[2], '_n') == ARGV[1] then
  local abs = tonumber(string.match(redis.call('HGET', KEYS[2], '_m') or '', '^2%.%d+%.(%d+)$'))
  local now = tonumber(ARGV[2])
  if not abs or abs <= now then
    redis.call('DEL', KEYS[2])
    return 0
  end
  redis.call('RENAME', KEYS[2], KEYS[1])
  redis.call('HDEL', KEYS[1], '_n', '_tt', '_f')
  redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[3]), abs - now))
  return 1
end
redis.call('SET', KEYS[3], 'undone', 'PX', ARGV[4])
return 0
`)

// restoreScript restores an abandoned take: a take key (KEYS[2]) that no
// new record settled (no _f) and that is older than ARGV[2] ms (ARGV[1]
// now; ARGV[3] the idle timeout; the caller passes twice the store's
// Timeout) while its record (KEYS[1]) is missing: a Renew whose request
// lost the store between the take and the new record, and could not undo
// the take. It returns the restored record's bound user ("" for none), or
// "0" when it restored nothing. (A Renew still under way that late, should
// its request be that slow, then finds its take gone and starts a fresh
// session with its own changes: the old id never gets them.)
var restoreScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('TYPE', KEYS[2]).ok ~= 'hash' then return '0' end
local t = redis.call('HMGET', KEYS[2], '_tt', '_f', '_m')
local now = tonumber(ARGV[1])
if t[2] or not t[1] or tonumber(t[1]) > now - tonumber(ARGV[2]) then return '0' end
local abs = tonumber(string.match(t[3] or '', '^2%.%d+%.(%d+)$'))
if not abs or abs <= now then return '0' end
redis.call('RENAME', KEYS[2], KEYS[1])
redis.call('HDEL', KEYS[1], '_n', '_tt', '_f')
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[3]), abs - now))
return redis.call('HGET', KEYS[1], '_u') or ''
`)

// finishScript settles the take ARGV[1] of KEYS[1] (a take key), run with
// the new record's create: it returns 0 when the take key was deleted
// meanwhile (the session was destroyed while it was being renewed), else 1,
// and lets the taken record expire within ARGV[2] ms: long enough for an
// undo should the create have failed, or a retry of this step.
var finishScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' or redis.call('HGET', KEYS[1], '_n') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], '_f', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

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

// takeKey is the key a Renew moves the record at key to.
func takeKey(key string) string { return key + ":t" }

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

// record is a session as read from the store.
type record struct {
	created, seen, deadline time.Time
	user, label             string            // the binding (Session.BindUser)
	size                    int               // data size, as stored
	rev                     int64             // revision, as stored
	values                  map[string]string // by field name: "d:K" and "f:T"
	expires                 time.Time         // the key's expiry, as its TTL said at load (local cache only)
}

// persistChoice is a session's cookie-lifetime choice (RememberMe).
type persistChoice uint8

const (
	persistDefault persistChoice = iota // as CookieOptions.BrowserSession says
	persistOn                           // a persistent cookie
	persistOff                          // a browser-session cookie
)

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

// journalKey names the journal entry of one write or take of the record
// at key: it shares the record's hash tag, and so its slot.
func journalKey(key, nonce string) string { return key + ":" + nonce }

// newNonce names one take.
func newNonce() string { return rand.Text() }

// newJournalKey names the journal entry of one write: the record's key and
// 128 random bits, in one allocation. The nonce need only be unique, not
// secret (it names a reply, and leads nowhere).
func newJournalKey(key string) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, len(key)+1+32)
	n := copy(b, key)
	b[n] = ':'
	for i, r := range [2]uint64{mrand.Uint64(), mrand.Uint64()} {
		for j := range 16 {
			b[n+1+16*i+j] = hexdigits[r>>(60-4*j)&0xf]
		}
	}
	return string(b)
}

// load reads the record at key. A missing or expired record returns nil.
// The read writes nothing: the caller refreshes the idle TTL (see refresh).
func (st *Store) load(ctx context.Context, key string, now time.Time) (*record, error) {
	if st.cache != nil {
		return st.loadCached(ctx, key, now)
	}
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	h, err := st.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, st.failed(ctx, "load", start, err)
	}
	return parseRecord(h, now, "load")
}

// loadCached is load for a store with a local cache: a hit costs no round
// trip; on a miss the record's TTL comes in the same round trip, so that
// the entry never outlives the server's expiry, whatever the clocks and
// timeouts of the instance that wrote it.
func (st *Store) loadCached(ctx context.Context, key string, now time.Time) (*record, error) {
	rec, owner := st.cache.get(key, now, st.opts.IdleTimeout)
	if rec != nil {
		return rec, nil
	}
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	var hc *redis.MapStringStringCmd
	var tc *redis.DurationCmd
	_, err := st.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		hc, tc = p.HGetAll(ctx, key), p.PTTL(ctx, key)
		return nil
	})
	if err != nil {
		return nil, st.failed(ctx, "load", start, err) // failed drops every entry
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
	return rec, err
}

// parseRecord turns the fields of a stored hash into a record, taking h
// over as its values. An empty hash or a record past its deadline is nil;
// a record of another format is an error.
func parseRecord(h map[string]string, now time.Time, op string) (*record, error) {
	if len(h) == 0 {
		return nil, nil
	}
	created, deadline, ok := parseMeta(h[fieldMeta])
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrIncompatibleRecord, op)
	}
	if !deadline.After(now) {
		return nil, nil // the server's expiry is about to remove it
	}
	rec := &record{created: created, deadline: deadline, seen: msTime(h[fieldSeen]), values: h}
	rec.size, _ = strconv.Atoi(h[fieldSize])
	rec.rev, _ = strconv.ParseInt(h[fieldRev], 10, 64)
	rec.user, rec.label = h[fieldUser], h[fieldLabel]
	for f := range h {
		if strings.HasPrefix(f, "_") {
			delete(h, f)
		}
	}
	return rec, nil
}

// parseMeta reads the _m field: "2.<created ms>.<deadline ms>".
func parseMeta(m string) (created, deadline time.Time, ok bool) {
	v, rest, ok1 := strings.Cut(m, ".")
	c, d, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || v != recordVersion {
		return created, deadline, false
	}
	cn, err1 := strconv.ParseInt(c, 10, 64)
	dn, err2 := strconv.ParseInt(d, 10, 64)
	if err1 != nil || err2 != nil || cn < 0 || dn <= 0 || c == "" || c[0] == '+' || d[0] == '+' {
		return created, deadline, false
	}
	return time.UnixMilli(cn), time.UnixMilli(dn), true
}

// refresh sets the record's idle TTL and last-seen time, if it still
// exists. Errors are the caller's to weigh: the session's data was read.
func (st *Store) refresh(ctx context.Context, key string, now time.Time) error {
	st.forget(key)
	defer st.forget(key)
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	err := refreshScript.Run(ctx, st.client, []string{key}, now.UnixMilli(), st.opts.IdleTimeout.Milliseconds()).Err()
	if err != nil {
		return st.failed(ctx, "refresh", start, err)
	}
	return nil
}

// take takes the record at key for Renew, under the journal entry named by
// nonce (see untake). A missing or expired record returns nil.
func (st *Store) take(ctx context.Context, key, nonce string, now time.Time) (*record, error) {
	st.forget(key)
	defer st.forget(key)
	tctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	keys := []string{key, takeKey(key), journalKey(key, nonce)}
	var res []string
	var err error
	if st.opts.WaitReplicas == 0 {
		res, err = takeScript.Run(tctx, st.client, keys, nonce, now.UnixMilli()).StringSlice()
	} else {
		// The old id must stay dead through a failover too.
		var tc, wait *redis.Cmd
		err = st.pipeline(tctx, func(pipe redis.Pipeliner) {
			tc = takeScript.EvalSha(tctx, pipe, keys, nonce, now.UnixMilli())
			wait = st.queueWait(tctx, pipe)
		})
		if tc != nil && (err == nil || tc.Err() != nil) {
			res, err = tc.StringSlice()
		}
		if err == nil {
			err = st.waited(wait)
		}
	}
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		// The take may have run, its reply lost: undo it before giving
		// up, or the session would be lost with the reply.
		st.untake(ctx, key, nonce, now)
		return nil, st.failed(ctx, "renew", start, err)
	}
	h := make(map[string]string, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	return parseRecord(h, now, "renew")
}

// untake restores the record a take named by nonce took, if its journal
// entry still holds it; it reports whether the old record lives again. It
// runs even when ctx is done (a request whose client went away must not
// lose the session), within its own Timeout.
func (st *Store) untake(ctx context.Context, key, nonce string, now time.Time) bool {
	st.forget(key)
	defer st.forget(key)
	ctx, cancel := st.storeCtx(context.WithoutCancel(ctx))
	defer cancel()
	n, err := untakeScript.Run(ctx, st.client, []string{key, takeKey(key), journalKey(key, nonce)},
		nonce, now.UnixMilli(), st.opts.IdleTimeout.Milliseconds(), st.journalTTL().Milliseconds()).Int()
	return err == nil && n == 1
}

// restore brings back the record at key from an abandoned take (see
// restoreScript); it reports whether it did. Errors read as "no".
func (st *Store) restore(ctx context.Context, key string, now time.Time) bool {
	st.forget(key)
	defer st.forget(key)
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	user, err := restoreScript.Run(ctx, st.client, []string{key, takeKey(key)},
		now.UnixMilli(), st.renewLease().Milliseconds(), st.opts.IdleTimeout.Milliseconds()).Text()
	if err != nil || user == "0" {
		return false
	}
	if user != "" {
		// Its index entry may have been pruned meanwhile: add it back.
		st.indexed(ctx, now, true, []indexOp{{user: user, add: true, tag: keyTag(key)}}, nil)
	}
	return true
}

// renewLease is how long a Renew may take between its take and its new
// record before a read takes it for abandoned and restores the old record
// (see restoreScript): 15 times Timeout, 30 s by default.
func (st *Store) renewLease() time.Duration { return 15 * st.opts.Timeout }

// journalTTL is how long a journal entry (a write's reply, a taken record)
// lives: past any retry the client can make within Timeout.
func (st *Store) journalTTL() time.Duration {
	return max(10*time.Second, 2*st.opts.Timeout)
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
	mode              writeMode
	created, deadline time.Time // modeCreate: the new record's
	stored            int       // modeCreate from Renew: the data size the session had
	rev               string    // modeUpdate: the revision required, or ""
	ops               []any
	idx               []indexOp // user-index updates that go with the write
	take              string    // modeCreate from Renew: the take key to settle (see finishScript)
	nonce             string    // the take's nonce
}

// errTakeLost reports that a Renew's take key was deleted before its new
// record was settled: the session was destroyed meanwhile.
var errTakeLost = errors.New("sessions: destroyed while renewed")

// write applies w to the record at key. The index updates and the take's
// settlement travel in the same round trip (a pipeline).
func (st *Store) write(ctx context.Context, key string, now time.Time, w writeReq) (writeResult, error) {
	st.forget(key)
	defer st.forget(key)
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	args := make([]any, 0, 8+len(w.ops))
	args = append(args, string(w.mode), now.UnixMilli(), st.args.idle, st.args.max, st.args.journal)
	if w.mode == modeCreate {
		args = append(args, strconv.FormatInt(w.created.UnixMilli(), 10)+"."+strconv.FormatInt(w.deadline.UnixMilli(), 10))
	} else {
		args = append(args, "")
	}
	args = append(args, w.stored, w.rev)
	args = append(args, w.ops...)
	keys := []string{key, newJournalKey(key)}
	var (
		res  []string
		err  error
		lost bool
	)
	if len(w.idx) == 0 && w.take == "" && st.opts.WaitReplicas == 0 {
		res, err = writeScript.Run(ctx, st.client, keys, args...).StringSlice()
	} else {
		var wc, fc, wait *redis.Cmd
		var icmds []*redis.Cmd
		err = st.pipeline(ctx, func(pipe redis.Pipeliner) {
			wc = writeScript.EvalSha(ctx, pipe, keys, args...)
			if w.take != "" {
				fc = finishScript.EvalSha(ctx, pipe, []string{w.take}, w.nonce, st.journalTTL().Milliseconds())
			}
			icmds = st.queueIndex(ctx, pipe, now, w.idx)
			wait = st.queueWait(ctx, pipe)
		})
		var werr error
		if wc != nil {
			werr = wc.Err()
		}
		if werr == nil && fc != nil && fc.Err() != nil {
			werr = fc.Err() // the take's settlement is unknown: the save failed
		}
		if werr == nil && err == nil {
			werr = st.waited(wait)
		}
		if werr == nil {
			res, _ = wc.StringSlice()
			if fc != nil {
				n, _ := fc.Int()
				lost = n != 1
			}
		}
		saved := werr == nil && len(res) > 0 && res[0] == "ok" && !lost
		// The index steps ran in any case: settle them with the write.
		err = st.indexed(ctx, now, saved, w.idx, icmds)
		if werr != nil {
			err = werr
		}
		if errors.Is(err, errIndexFailed) && w.mode == modeCreate {
			// A new record its user's index does not list must not
			// stand: no token will name it.
			st.client.Del(context.WithoutCancel(ctx), key)
		}
		if errors.Is(err, errIndexFailed) {
			return writeResult{}, st.failed(ctx, "index", start, err)
		}
	}
	if err == nil && lost && len(res) > 0 && res[0] == "ok" {
		// The session was destroyed while it was being renewed: the
		// new record must not carry it on.
		if err := st.client.Del(ctx, key).Err(); err != nil {
			return writeResult{}, st.failed(ctx, "save", start, err)
		}
		return writeResult{}, errTakeLost
	}
	if err != nil {
		return writeResult{}, st.failed(ctx, "save", start, err)
	}
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

// remove deletes the record at key (and a Renew's take of it), and its entry in the index of user
// (when known; an entry left behind is pruned later), in one round trip.
func (st *Store) remove(ctx context.Context, key, user string) error {
	st.forget(key)
	defer st.forget(key)
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	// The take key too: a Renew of this session in flight in another
	// request ends with it (see finishScript).
	var err error
	if user == "" && st.opts.WaitReplicas == 0 {
		err = st.client.Del(ctx, key, takeKey(key)).Err()
	} else {
		var wait *redis.Cmd
		err = st.pipeline(ctx, func(pipe redis.Pipeliner) {
			pipe.Del(ctx, key, takeKey(key))
			if user != "" {
				st.queueIndex(ctx, pipe, st.now(), []indexOp{{user: user, tag: keyTag(key)}})
			}
			wait = st.queueWait(ctx, pipe)
		})
		if err == nil {
			err = st.waited(wait)
		}
	}
	if err != nil {
		return st.failed(ctx, "destroy", start, err)
	}
	return nil
}

// msTime reads a Unix-ms time the scripts return or store as a string.
func msTime(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// Client is the go-redis client type the store takes, so that apps can
// name it without importing go-redis.
type Client = redis.UniversalClient

// Ping checks that the store answers, within StoreOptions.Timeout. Use it
// at start-up or in a readiness probe; the error wraps ErrUnavailable.
func (st *Store) Ping(ctx context.Context) error {
	ctx, cancel := st.storeCtx(ctx)
	defer cancel()
	start := st.now()
	if err := st.client.Ping(ctx).Err(); err != nil {
		return st.failed(ctx, "ping", start, err)
	}
	return nil
}
