package sessions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The local cache (StoreOptions.LocalCache) keeps session records read in
// this process, so that a request that only reads its session costs no
// round trip. Redict keeps it coherent: a dedicated connection turns on
// CLIENT TRACKING in broadcast mode for the key prefix, redirected to
// itself, and subscribes to __redis__:invalidate, so the server names
// every key under the prefix that any client changes, deletes or lets
// expire. Three rules keep it from serving a stale session:
//
//   - An entry is inserted only if nothing touched its key while it was
//     loaded: the load first leaves a placeholder, which an invalidation,
//     a write of this process or a flush removes, and the record replaces
//     only its own placeholder.
//   - The cache serves only while the invalidation stream is confirmed
//     live: a PING sent on it every LocalCacheLag/4 must have come back
//     (the server answers in order, after every invalidation queued before
//     it) within the last LocalCacheLag. A connection that fails, or goes
//     silent, stops the serving at once or within LocalCacheLag, and every
//     entry is dropped; the store is read again as without a cache.
//   - Every write of this process drops its key, from every cache of the
//     process on that prefix, before and after it runs, so the process
//     reads its own writes at once, whatever the invalidation's delay.
//
// Timeouts are checked on every hit: the key's TTL as read with the
// record, the absolute deadline and, from the last-seen time, the idle
// timeout.

// invalidateChannel is where a RESP2 connection gets tracking messages.
const invalidateChannel = "__redis__:invalidate"

// DefaultLocalCacheLag is the default StoreOptions.LocalCacheLag.
const DefaultLocalCacheLag = 500 * time.Millisecond

// CacheStats counts what a Store's local cache did since it started (see
// StoreOptions.LocalCache). All zero without one.
type CacheStats struct {
	Hits          uint64 // reads served from the cache
	Misses        uint64 // reads that went to the store
	Invalidations uint64 // keys the server said changed
	Flushes       uint64 // times every entry was dropped (connection lost, FLUSHALL)
	Live          bool   // whether the cache serves now (invalidations confirmed)
	Entries       int    // records held now
}

// cacheEntry is a cached record, or a load's placeholder (rec nil).
type cacheEntry struct {
	rec   *record
	owner uint64 // the placeholder's load
}

// localCache is the store's local cache of records.
type localCache struct {
	max    int
	lag    time.Duration
	prefix string        // the store's KeyPrefix
	rdb    *redis.Client // the invalidation connection's client (pool of one)

	mu      sync.Mutex
	entries map[string]cacheEntry
	loads   uint64 // placeholders handed out

	confirmed                            atomic.Int64 // send time (UnixNano) of the last ping answered on a live stream; 0: not live
	hits, misses, invalidations, flushes atomic.Uint64

	logger func() *slog.Logger // the store's Logger
	outage bool                // the stream is down, and that was logged (run's goroutine only)

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// newLocalCache starts the cache of a store on client, which must be a
// single-node or Sentinel client. It opens the invalidation stream once
// before it returns: a Redis user that may not run CLIENT TRACKING or
// subscribe to the invalidation channel is refused (ErrInvalidOptions,
// naming the permission), since the cache would never serve. A stream
// that cannot be opened for another reason (the store is down) is logged
// and retried in the background.
func newLocalCache(base *redis.Client, o StoreOptions, logger func() *slog.Logger) (*localCache, error) {
	opt := *base.Options()
	opt.Protocol = 2 // tracking messages as pub/sub messages on this connection
	opt.PoolSize, opt.MinIdleConns, opt.MaxIdleConns, opt.MaxActiveConns = 1, 0, 0, 0
	opt.ReadTimeout = -1 // the loop sets its own
	userHook := opt.OnConnect
	prefix := o.KeyPrefix
	opt.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
		if userHook != nil {
			if err := userHook(ctx, cn); err != nil {
				return err
			}
		}
		id, err := cn.ClientID(ctx).Result()
		if err == nil {
			err = cn.Do(ctx, "CLIENT", "TRACKING", "ON", "REDIRECT", id, "BCAST", "PREFIX", prefix).Err()
		}
		if err != nil {
			return &trackingError{err}
		}
		return nil
	}
	c := &localCache{
		max: o.LocalCache, lag: o.LocalCacheLag, prefix: o.KeyPrefix, rdb: redis.NewClient(&opt),
		entries: make(map[string]cacheEntry), done: make(chan struct{}), logger: logger,
	}
	pctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	ps, err := c.open(pctx)
	cancel()
	if err != nil {
		if perm := missingPermission(err); perm != "" {
			_ = c.rdb.Close() // the probe's connection: the constructor's error is the one to report
			return nil, fmt.Errorf("%w: LocalCache: the Redis user %s, so the cache would never serve", ErrInvalidOptions, perm)
		}
		c.lost(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	register(c)
	go c.run(ctx, ps)
	// Wait a little for the stream, so that a store made at start-up
	// serves from its first request; it serves once the stream is up in
	// any case.
	deadline := time.Now().Add(min(o.Timeout, 2*time.Second))
	for ps != nil && c.confirmed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return c, nil
}

// trackingError is a failure to turn on CLIENT TRACKING on the stream's
// connection.
type trackingError struct{ err error }

func (e *trackingError) Error() string { return "CLIENT TRACKING: " + e.err.Error() }
func (e *trackingError) Unwrap() error { return e.err }

// open opens the invalidation stream: a connection with tracking on,
// subscribed to the invalidation channel (the subscription confirmed),
// that answers a PING (which the stream's liveness rests on).
func (c *localCache) open(ctx context.Context) (*redis.PubSub, error) {
	ps := c.rdb.Subscribe(ctx)
	receive := func() (any, error) {
		if deadline, ok := ctx.Deadline(); ok {
			return ps.ReceiveTimeout(ctx, time.Until(deadline))
		}
		return ps.Receive(ctx)
	}
	err := ps.Subscribe(ctx, invalidateChannel)
	if err == nil {
		var msg any
		msg, err = receive()
		if sub, ok := msg.(*redis.Subscription); err == nil && (!ok || sub.Channel != invalidateChannel) {
			err = fmt.Errorf("unexpected reply %T to SUBSCRIBE", msg)
		}
	}
	if err == nil {
		err = ps.Ping(ctx, "open")
	}
	for err == nil {
		var msg any
		if msg, err = receive(); err == nil {
			if p, ok := msg.(*redis.Pong); ok && p.Payload == "open" {
				break
			}
		}
	}
	if err != nil {
		_ = ps.Close() // the subscription failed already
		return nil, err
	}
	return ps, nil
}

// missingPermission names the permission a stream error says the Redis
// user lacks, or "" when it is another failure.
func missingPermission(err error) string {
	if !strings.HasPrefix(unwrapAll(err).Error(), "NOPERM") {
		return ""
	}
	if _, ok := errors.AsType[*trackingError](err); ok {
		return "may not run CLIENT ID and CLIENT TRACKING (grant them: ACL SETUSER <user> +client|id +client|tracking)"
	}
	// "NOPERM User u has no permissions to run the 'ping' command"
	if _, rest, ok := strings.Cut(unwrapAll(err).Error(), "run the '"); ok {
		if cmd, _, ok := strings.Cut(rest, "'"); ok {
			cmd = strings.ToUpper(strings.ReplaceAll(cmd, "|", " "))
			return "may not run " + cmd + " (grant it: ACL SETUSER <user> +" + strings.ToLower(strings.ReplaceAll(cmd, " ", "|")) + ")"
		}
	}
	return "may not subscribe to the channel " + invalidateChannel +
		" (Redis 7 gives new users no channels, acl-pubsub-default resetchannels: grant it with ACL SETUSER <user> &" + invalidateChannel + ")"
}

// unwrapAll returns the innermost error of err's Unwrap chain.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// lost logs, once per outage, that the stream is down: the cache does not
// serve until it is back.
func (c *localCache) lost(err error) {
	if c.outage {
		return
	}
	c.outage = true
	msg := "sessions: the local cache's invalidation stream is down; reads go to the store until it is back"
	if perm := missingPermission(err); perm != "" {
		msg += ": the Redis user " + perm
	}
	c.logger().LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("err", err.Error()))
}

// close stops the cache and its connection.
func (c *localCache) close() error {
	c.closeOnce.Do(func() {
		unregister(c)
		c.stop()
		<-c.done
		c.down()
		c.closeErr = c.rdb.Close()
	})
	return c.closeErr
}

// caches are the process's live caches by key prefix: a write through one
// store drops the key from every cache of its prefix, so that two stores
// of one process (on one Redict) read each other's writes at once too.
var caches struct {
	sync.Mutex
	byPrefix map[string][]*localCache
}

// cacheCount counts the caches registered, so that a process without one
// pays nothing for forget.
var cacheCount atomic.Int64

func register(c *localCache) {
	caches.Lock()
	defer caches.Unlock()
	if caches.byPrefix == nil {
		caches.byPrefix = make(map[string][]*localCache)
	}
	caches.byPrefix[c.prefix] = append(caches.byPrefix[c.prefix], c)
	cacheCount.Add(1)
}

func unregister(c *localCache) {
	caches.Lock()
	defer caches.Unlock()
	list := caches.byPrefix[c.prefix]
	for i, x := range list {
		if x == c {
			caches.byPrefix[c.prefix] = append(list[:i:i], list[i+1:]...)
			cacheCount.Add(-1)
			break
		}
	}
	if len(caches.byPrefix[c.prefix]) == 0 {
		delete(caches.byPrefix, c.prefix)
	}
}

// run keeps the invalidation stream up until ctx ends, starting with ps
// (nil: none open yet). A stream that cannot be opened, or ends, is
// opened again after a pause that doubles up to maxStreamBackoff, and
// starts again from its least once a stream went live.
func (c *localCache) run(ctx context.Context, ps *redis.PubSub) {
	defer close(c.done)
	least := min(c.lag/4, 100*time.Millisecond)
	backoff := least
	for gen := uint64(1); ctx.Err() == nil; gen++ {
		var err error
		if ps == nil {
			octx, cancel := context.WithTimeout(ctx, max(c.lag, time.Second))
			ps, err = c.open(octx)
			cancel()
		}
		if ps != nil {
			var live bool
			live, err = c.serve(ctx, ps, gen)
			_ = ps.Close() // done with this stream; the next one is opened below
			ps = nil
			if live {
				backoff = least
			}
		}
		c.down()
		if ctx.Err() != nil {
			return
		}
		c.lost(err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxStreamBackoff)
	}
}

// maxStreamBackoff caps the pause between two attempts to open the
// invalidation stream.
const maxStreamBackoff = 5 * time.Second

// serve reads the stream ps (the gen-th, subscribed) until it fails or
// goes silent; it reports whether the stream went live, and why it ended.
func (c *localCache) serve(ctx context.Context, ps *redis.PubSub, gen uint64) (live bool, _ error) {
	tick := max(c.lag/4, time.Millisecond)
	prefix := strconv.FormatUint(gen, 10) + ":"
	var lastPing time.Time
	lastPong := time.Now()
	for ctx.Err() == nil {
		now := time.Now()
		if now.Sub(lastPing) >= tick {
			lastPing = now
			if err := ps.Ping(ctx, prefix+strconv.FormatInt(now.UnixNano(), 10)); err != nil {
				return live, err
			}
		}
		if now.Sub(lastPong) > 2*c.lag {
			return live, errors.New("the stream went silent") // a new connection
		}
		msg, err := ps.ReceiveTimeout(ctx, tick)
		if err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				continue
			case strings.Contains(err.Error(), "unsupported pubsub message payload"):
				// FLUSHALL or FLUSHDB: a null payload, "every key",
				// which go-redis does not parse (the reply was read;
				// the connection is fine).
				c.flush()
				continue
			}
			return live, err
		}
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel != invalidateChannel {
				continue
			}
			if len(m.PayloadSlice) == 0 && m.Payload == "" {
				// "Every key", should go-redis ever parse the null
				// payload (v9.23 fails on it: see above).
				c.flush()
				continue
			}
			keys := m.PayloadSlice
			if len(keys) == 0 {
				keys = []string{m.Payload}
			}
			c.invalidations.Add(uint64(len(keys)))
			c.forget(keys...)
		case *redis.Pong:
			sent, ok := strings.CutPrefix(m.Payload, prefix)
			if !ok {
				continue
			}
			if n, err := strconv.ParseInt(sent, 10, 64); err == nil {
				lastPong = time.Now()
				c.confirmed.Store(n)
				if !live && c.outage {
					c.outage = false
					c.logger().LogAttrs(ctx, slog.LevelInfo, "sessions: the local cache's invalidation stream is back")
				}
				live = true
			}
		}
	}
	return live, ctx.Err()
}

// live reports whether the cache may serve now.
func (c *localCache) live() bool {
	n := c.confirmed.Load()
	return n != 0 && time.Since(time.Unix(0, n)) < c.lag
}

// down stops the serving and drops every entry.
func (c *localCache) down() {
	c.confirmed.Store(0)
	c.flush()
}

// flush drops every entry, placeholders too.
func (c *localCache) flush() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
	c.flushes.Add(1)
}

// forget drops the entries of keys.
func (c *localCache) forget(keys ...string) {
	c.mu.Lock()
	for _, k := range keys {
		delete(c.entries, k)
	}
	c.mu.Unlock()
}

// get returns a copy of the record cached for key, if the cache serves and
// the record is still live at now; else it leaves a placeholder and
// returns its owner number for put (0: do not put).
func (c *localCache) get(key string, now time.Time, idle time.Duration) (*record, uint64) {
	if !c.live() {
		c.misses.Add(1)
		return nil, 0
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && e.rec != nil {
		if e.rec.expires.After(now) && e.rec.deadline.After(now) && e.rec.seen.Add(idle).After(now) {
			rec := *e.rec
			c.mu.Unlock()
			rec.values = maps.Clone(rec.values)
			c.hits.Add(1)
			return &rec, 0
		}
		delete(c.entries, key)
	}
	if len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k) // any one: Go's map order is random
			break
		}
	}
	c.loads++
	owner := c.loads
	c.entries[key] = cacheEntry{owner: owner}
	c.mu.Unlock()
	c.misses.Add(1)
	return nil, owner
}

// put caches rec for key, loaded under the placeholder owner, if nothing
// removed the placeholder meanwhile. A missing record is not cached.
func (c *localCache) put(key string, owner uint64, rec *record) {
	if owner == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; !ok || e.rec != nil || e.owner != owner {
		return
	}
	if rec == nil || rec.expires.IsZero() || !c.live() {
		delete(c.entries, key)
		return
	}
	cp := *rec
	cp.values = maps.Clone(rec.values)
	c.entries[key] = cacheEntry{rec: &cp}
}

// stats returns the counters.
func (c *localCache) stats() CacheStats {
	c.mu.Lock()
	n := 0
	for _, e := range c.entries {
		if e.rec != nil {
			n++
		}
	}
	c.mu.Unlock()
	return CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load(),
		Flushes: c.flushes.Load(), Live: c.live(), Entries: n,
	}
}

// forget drops keys from every local cache of the process for the store's
// key prefix (this store's, and other stores' on the same prefix): every
// write calls it before and after it runs.
func (st *Store) forget(keys ...string) {
	if cacheCount.Load() == 0 {
		return
	}
	caches.Lock()
	list := caches.byPrefix[st.opts.KeyPrefix]
	caches.Unlock()
	for _, c := range list {
		c.forget(keys...)
	}
}

// CacheStats returns what the store's local cache did (see
// StoreOptions.LocalCache); all zero without one.
func (st *Store) CacheStats() CacheStats {
	if st.cache == nil {
		return CacheStats{}
	}
	return st.cache.stats()
}

// Close stops the store's local cache and closes its connection (see
// StoreOptions.LocalCache). A store without one has nothing to close. It
// does not close the client the store was given. The store must not be
// used after Close.
func (st *Store) Close() error {
	if st.cache == nil {
		return nil
	}
	return st.cache.close()
}
