package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stored record layout (version 1): one hash per session, so every step on a
// session touches one key and one hash slot.
//
//	_v  record format version ("1")
//	_c  created at, Unix ms
//	_s  last seen, Unix ms
//	_a  absolute deadline, Unix ms
//	_r  revision, incremented by every save (for optimistic concurrency)
//	_z  size of the data fields in bytes (names plus values)
//	_o  nonce of the last write, _or its reply (for retried writes)
//	_t  present once Renew took the record: it reads as missing
//	d:K the encoded value of session key K
//	f:T flash message queued at time T (Unix ns, zero-padded), a JSON string
//
// The key's TTL is min(IdleTimeout, deadline-now), set by every write.
const (
	recordVersion = "1"
	fieldVersion  = "_v"
	fieldCreated  = "_c"
	fieldSeen     = "_s"
	fieldDeadline = "_a"
	fieldRev      = "_r"
	dataPrefix    = "d:"
	flashPrefix   = "f:"
)

// loadScript reads a session and refreshes its idle TTL (ARGV[3] "r"), or
// takes it for Renew (ARGV[3] "t", with ARGV[4] a nonce), in one step. A
// session past its absolute deadline is deleted and reads as missing. It
// returns {version, created, seen, deadline, field, value, ...}: the
// metadata the caller needs, then the data fields.
//
// A take leaves a tombstone (_t = the nonce) that lives ARGV[5] ms (10 s,
// or twice the store's Timeout if longer) and reads as missing to everyone
// but a retry of the same take, so a retry after a lost reply gets the
// data again while the old id is dead at once.
var loadScript = redis.NewScript(`
local k = KEYS[1]
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])
local all = redis.call('HGETALL', k)
if #all == 0 then return false end
local m = {}
local out = {'', '', '', ''}
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 1) == '_' then
    m[f] = all[i+1]
  else
    out[#out+1] = f
    out[#out+1] = all[i+1]
  end
end
out[1], out[2], out[3], out[4] = m._v or '', m._c or '', m._s or '', m._a or ''
if m._v ~= '1' then
  -- Another format: leave it alone; the caller refuses it.
  return out
end
local abs, tomb = tonumber(m._a), m._t
if tomb then
  if ARGV[3] == 't' and tomb == ARGV[4] then return out end
  return false
end
if not abs or abs <= now then
  redis.call('DEL', k)
  return false
end
if ARGV[3] == 't' then
  redis.call('HSET', k, '_t', ARGV[4])
  redis.call('PEXPIRE', k, math.min(tonumber(ARGV[5]), abs - now))
else
  redis.call('HSET', k, '_s', ARGV[1])
  redis.call('PEXPIRE', k, math.min(idle, abs - now))
end
return out
`)

// writeScript applies a batch of changes in one step.
//
//	ARGV[1] "c" creates the key and fails if it exists; "u" updates it and
//	        fails if it is missing, so a save never resurrects a session
//	ARGV[2] now (ms), ARGV[3] idle timeout (ms), ARGV[4] max data size
//	ARGV[5] absolute deadline (ms) and ARGV[6] created (ms), for "c"
//	ARGV[7] a nonce naming this write
//	ARGV[8] for "c" from Renew, the taken record's data size (a renewed
//	        session over the limit may still shrink)
//	ARGV[9...] ops: optional leading "x" (clear data), then
//	        "s" field value | "d" field | "i" field delta
//
// It returns {"ok", deadline, revision, previous last-seen, incr
// results...} as strings, or
// {status}. Sizes are checked before anything is written (an increment
// planned at its largest, 20 digits), and the exact size stored after. The write's
// nonce and reply are kept in the record (_o, _or), so that a client's
// retry after a lost reply gets the same reply instead of a second
// application (an Incr counted twice, a create finding itself).
var writeScript = redis.NewScript(`
local k = KEYS[1]
local mode, now, idle, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local nonce = ARGV[7]
local function replay(r)
  local out = {}
  for v in string.gmatch(r, '[^,]+') do out[#out+1] = v end
  return out
end
local abs, z, seen, stored
if mode == 'c' then
  if redis.call('EXISTS', k) == 1 then
    local o = redis.call('HMGET', k, '_o', '_or')
    if o[1] == nonce then return replay(o[2]) end
    return {'exists'}
  end
  abs, z, seen = ARGV[5], 0, '0'
  stored = tonumber(ARGV[8]) or 0
else
  local m = redis.call('HMGET', k, '_v', '_a', '_z', '_t', '_o', '_or', '_s')
  if m[5] == nonce then return replay(m[6]) end
  if m[1] and m[1] ~= '1' then return {'version'} end
  if not m[2] or m[4] then return {'gone'} end
  abs = m[2]
  if tonumber(abs) <= now then
    redis.call('DEL', k)
    return {'gone'}
  end
  z, seen = tonumber(m[3]) or 0, m[7] or '0'
  stored = z
end
local i = 9
local cleared = (mode == 'c')
if ARGV[i] == 'x' then
  cleared = true
  z = 0
  i = i + 1
end
local first = i
local base = z
local known, orig = {}, {}
local function get(f)
  local v = known[f]
  if v == nil then
    if cleared then v = false else v = redis.call('HGET', k, f) end
    known[f] = v
    orig[f] = v and (#f + #v) or 0
  end
  return v
end
-- Plan: check every op and the size before writing anything (a script is
-- not rolled back when a command fails half-way).
while i <= #ARGV do
  local op, f = ARGV[i], ARGV[i+1]
  local old = get(f)
  if old then z = z - #f - #old end
  if op == 's' then
    known[f] = ARGV[i+2]
    z = z + #f + #ARGV[i+2]
    i = i + 3
  elseif op == 'd' then
    known[f] = false
    i = i + 2
  else
    local cur = old or '0'
    -- What HINCRBY takes: no leading zeros, no "-0".
    if #cur > 20 or not (cur == '0' or string.match(cur, '^%-?[1-9]%d*$')) then return {'notint'} end
    local v = tonumber(cur) + tonumber(ARGV[i+2])
    if v >= 9.2e18 or v <= -9.2e18 then return {'range'} end
    known[f] = string.format('%.0f', v)
    -- Exact below 2^53; above, charge the most digits an int64 has.
    if math.abs(v) < 9007199254740992 then z = z + #f + #known[f] else z = z + #f + 20 end
    i = i + 3
  end
end
-- A write that would pass the limit is refused, unless it shrinks a
-- session that is over it already.
if z > max and z > stored then return {'toolarge'} end
if cleared and mode ~= 'c' then
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.sub(f, 1, 1) ~= '_' then redis.call('HDEL', k, f) end
  end
end
local out = {'ok', abs, '0', seen}
i = first
while i <= #ARGV do
  local op, f = ARGV[i], ARGV[i+1]
  if op == 's' then
    redis.call('HSET', k, f, ARGV[i+2])
    i = i + 3
  elseif op == 'd' then
    redis.call('HDEL', k, f)
    i = i + 2
  else
    if not pcall(redis.call, 'HINCRBY', k, f, ARGV[i+2]) then
      -- Unreachable after the plan; refuse rather than die half-way.
      return {'notint'}
    end
    out[#out+1] = redis.call('HGET', k, f)
    i = i + 3
  end
end
-- The plan over-estimated increments; store the exact size.
z = base
for f, o in pairs(orig) do
  local n = redis.call('HSTRLEN', k, f)
  if n > 0 or redis.call('HEXISTS', k, f) == 1 then z = z + #f + n end
  z = z - o
end
if mode == 'c' then
  redis.call('HSET', k, '_v', '1', '_c', ARGV[6], '_a', abs)
end
out[3] = tostring(redis.call('HINCRBY', k, '_r', 1))
redis.call('HSET', k, '_s', ARGV[2], '_z', z, '_o', nonce, '_or', table.concat(out, ','))
redis.call('PEXPIRE', k, math.min(idle, tonumber(abs) - now))
return out
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

// record is a session as read from the store.
type record struct {
	created, seen, deadline time.Time
	values                  map[string]string // by field name: "d:K" and "f:T"
}

// unavailable wraps a client error as ErrUnavailable with context. Client
// errors carry no session data: keys are hashes and values travel as
// arguments, which go-redis does not echo.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// load reads (take=false, refreshing the idle TTL) or takes (take=true,
// leaving a tombstone, for Renew) the record at key. A missing or expired
// record returns nil.
// With take, nonce names the take (see untake).
func (st *Store) load(ctx context.Context, key string, now time.Time, take bool, nonce string) (*record, error) {
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	mode := "r"
	if take {
		mode = "t"
	}
	res, err := loadScript.Run(ctx, st.client, []string{key},
		now.UnixMilli(), st.opts.IdleTimeout.Milliseconds(), mode, nonce, st.tombstoneTTL().Milliseconds()).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable("load", err)
	}
	if len(res) < 4 {
		return nil, unavailable("load", fmt.Errorf("unexpected script reply"))
	}
	version, _ := res[0].(string)
	rec := &record{
		created:  msTime(res[1]),
		seen:     msTime(res[2]),
		deadline: msTime(res[3]),
		values:   make(map[string]string, (len(res)-4)/2),
	}
	for i := 4; i+1 < len(res); i += 2 {
		f, _ := res[i].(string)
		v, _ := res[i+1].(string)
		rec.values[f] = v
	}
	if version != recordVersion {
		return nil, fmt.Errorf("%w: load", ErrIncompatibleRecord)
	}
	return rec, nil
}

// untakeScript undoes a Renew's take (ARGV[1] its nonce) whose new record
// could not be written: the old record lives again, with its idle TTL.
var untakeScript = redis.NewScript(`
local k = KEYS[1]
if redis.call('HGET', k, '_t') ~= ARGV[1] then return 0 end
redis.call('HDEL', k, '_t')
local abs = tonumber(redis.call('HGET', k, '_a'))
local ttl = math.min(tonumber(ARGV[3]), abs - tonumber(ARGV[2]))
if ttl <= 0 then
  redis.call('DEL', k)
  return 0
end
redis.call('PEXPIRE', k, ttl)
return 1
`)

// untake restores the record a Renew took, if the take named nonce is
// still its tombstone; it reports whether the old record lives again.
func (st *Store) untake(ctx context.Context, key, nonce string, now time.Time) bool {
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	n, err := untakeScript.Run(ctx, st.client, []string{key}, nonce, now.UnixMilli(), st.opts.IdleTimeout.Milliseconds()).Int()
	return err == nil && n == 1
}

// tombstoneTTL is how long a record taken by Renew stays readable to a
// retry of the take: past any retry the client can make within Timeout.
func (st *Store) tombstoneTTL() time.Duration {
	return max(10*time.Second, 2*st.opts.Timeout)
}

// writeResult is the outcome of a successful write.
type writeResult struct {
	deadline time.Time
	rev      int64
	seen     time.Time // last use before this write (zero for a create)
	incrs    []int64
}

// write applies ops to the record at key. For modeCreate, deadline and
// created describe the new record.
func (st *Store) write(ctx context.Context, key string, mode writeMode, now, deadline, created time.Time, stored int, ops []any) (writeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	args := make([]any, 0, 8+len(ops))
	args = append(args, string(mode), now.UnixMilli(), st.opts.IdleTimeout.Milliseconds(), st.opts.MaxSize)
	if mode == modeCreate {
		args = append(args, deadline.UnixMilli(), created.UnixMilli())
	} else {
		args = append(args, "", "")
	}
	args = append(args, rand.Text(), stored)
	args = append(args, ops...)
	res, err := writeScript.Run(ctx, st.client, []string{key}, args...).Slice()
	if err != nil {
		return writeResult{}, unavailable("save", err)
	}
	if len(res) == 0 {
		return writeResult{}, unavailable("save", fmt.Errorf("unexpected script reply"))
	}
	status, _ := res[0].(string)
	switch status {
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
	default:
		return writeResult{}, unavailable("save", fmt.Errorf("unexpected script reply"))
	}
	if len(res) < 4 {
		return writeResult{}, unavailable("save", fmt.Errorf("unexpected script reply"))
	}
	out := writeResult{deadline: msTime(res[1]), rev: replyInt(res[2]), seen: msTime(res[3])}
	for _, v := range res[4:] {
		out.incrs = append(out.incrs, replyInt(v))
	}
	return out, nil
}

// remove deletes the record at key.
func (st *Store) remove(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	if err := st.client.Del(ctx, key).Err(); err != nil {
		return unavailable("destroy", err)
	}
	return nil
}

// replyInt reads an integer the scripts return as a string.
func replyInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// msTime reads a Unix-ms time the scripts return or store as a string.
func msTime(v any) time.Time {
	n := replyInt(v)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// NewClient returns a go-redis client for a redis://, rediss://, redict://
// or redicts:// URL (the redict schemes are read as their redis
// equivalents). The client honours context deadlines on the socket, so
// StoreOptions.Timeout bounds every operation.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	switch {
	case strings.HasPrefix(rawURL, "redict://"):
		rawURL = "redis://" + strings.TrimPrefix(rawURL, "redict://")
	case strings.HasPrefix(rawURL, "redicts://"):
		rawURL = "rediss://" + strings.TrimPrefix(rawURL, "redicts://")
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// The URL may hold a password: do not echo it.
		return nil, fmt.Errorf("%w: cannot parse the store URL", ErrInvalidOptions)
	}
	opt.ContextTimeoutEnabled = true
	// Fail fast: a session store that is down should turn into a 503
	// quickly, not after seconds of redials. One retry stays: the store's
	// writes are safe to retry. The URL may still set max_retries.
	if !strings.Contains(rawURL, "max_retries=") {
		opt.MaxRetries = 1
	}
	opt.DialerRetries = 1
	return redis.NewClient(opt), nil
}

// Client is the go-redis client type the store takes, so that apps can
// name it without importing go-redis.
type Client = redis.UniversalClient

// Ping checks that the store answers, within StoreOptions.Timeout. Use it
// at start-up or in a readiness probe; the error wraps ErrUnavailable.
func (st *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, st.opts.Timeout)
	defer cancel()
	if err := st.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}
