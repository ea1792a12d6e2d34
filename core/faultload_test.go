package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// The load the fault tests run (faults_test.go): browsers, one goroutine
// each, sending requests one after the other through a Store, as an app's
// handlers would: increments that read the session first, logins (Renew +
// BindUser + Set), logouts (Destroy). Each session holds an owner value no
// other session has, so a read of someone else's data shows; each browser
// keeps the last count the store acknowledged, so a lost acknowledged
// write shows (a later count not above it, or a smaller count at the
// end), and so does an increment applied twice (a count too high).

// loadOptions shapes a load.
type loadOptions struct {
	browsers    int
	loginEvery  int           // every loginEvery-th request of a browser is a login; 0: none
	logoutEvery int           // every logoutEvery-th request destroys the session; 0: none
	pause       time.Duration // between a browser's requests
}

// Request kinds.
const (
	reqCreate = "create" // a first visit that stores something: BindUser + Set
	reqIncr   = "incr"   // Get + Incr
	reqLogin  = "login"  // Get + Renew + BindUser + Set + Incr
	reqLogout = "logout" // Get + Destroy
	reqVerify = "verify" // the final read
)

// reqEvent is one request's outcome.
type reqEvent struct {
	at      time.Time // when it started
	dur     time.Duration
	browser int
	kind    string
	err     error
}

// browser is one client of the app, with its cookie jar.
type browser struct {
	id      int
	gen     int // the session's generation: a new one after a logout or a loss
	owner   string
	user    string
	cookies []*http.Cookie
	live    bool     // the store acknowledged the session
	acked   int64    // the last count the store acknowledged
	unsure  int      // failed increments since: each may have been applied
	failed  []string // the kinds of the requests that failed since the last success
	reqs    int
	history []string // the last requests' kinds and outcomes, for a report
	note    string
}

// destroyedSession is the jar of a session whose Destroy was acknowledged.
type destroyedSession struct {
	owner   string
	cookies []*http.Cookie
}

// faultLoad runs browsers against a store and keeps what they saw.
type faultLoad struct {
	st     *sessions.Store
	opts   loadOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	lastFail atomic.Int64 // Unix ns of the latest failed request
	lastOK   atomic.Int64 // Unix ns of the latest successful request

	mu         sync.Mutex
	events     []reqEvent
	browsers   []*browser
	destroyed  []destroyedSession
	incrLost   int64    // acknowledged increments lost
	doubled    int64    // increments applied more than once
	doubles    []string // how
	lostAcked  int      // sessions lost though their last request had succeeded
	lostFailed []string // sessions lost after a failed request: its kind
	mixups     []string
}

// startLoad starts the browsers; stop ends them.
func startLoad(st *sessions.Store, o loadOptions) *faultLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &faultLoad{st: st, opts: o, cancel: cancel}
	tag := testPrefix(nil)[5:13]
	for i := range o.browsers {
		b := &browser{id: i, user: fmt.Sprintf("user-%s-%d", tag, i)}
		b.owner = fmt.Sprintf("owner-%s-%d.%d", tag, i, b.gen)
		l.browsers = append(l.browsers, b)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				l.step(b)
				select {
				case <-ctx.Done():
				case <-time.After(o.pause):
				}
			}
		}()
	}
	return l
}

// stop ends the browsers and waits for their requests in flight.
func (l *faultLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// waitQuiet lets the load run until requests have succeeded for quiet
// since the last failure (and at least until after), or until limit; it
// reports whether the load was quiet by then.
func (l *faultLoad) waitQuiet(after time.Time, quiet, limit time.Duration) bool {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		last := time.Unix(0, l.lastFail.Load())
		if time.Now().After(after) && time.Since(last) >= quiet && time.Unix(0, l.lastOK.Load()).After(last) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// newSession gives b a new session generation (after a logout or a loss).
func (b *browser) newSession() {
	b.gen++
	b.owner = b.owner[:strings.LastIndexByte(b.owner, '.')+1] + fmt.Sprint(b.gen)
	b.live, b.acked, b.unsure, b.cookies = false, 0, 0, nil
}

// request runs fn as one request of b's and keeps the cookie the response
// sets (also on a failure: the error answer carries the headers added).
func (l *faultLoad) request(b *browser, cookies []*http.Cookie, fn func(s *sessions.Session, c sessions.Carrier) error) ([]*http.Cookie, error) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := l.st.Load(context.Background(), c)
	err := fn(s, c)
	if err == nil {
		err = l.st.Save(context.Background(), c, s)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			cookies = nil
		} else {
			cookies = []*http.Cookie{ck}
		}
	}
	return cookies, err
}

// step runs b's next request and records it.
func (l *faultLoad) step(b *browser) {
	i := b.reqs
	b.reqs++
	kind := reqIncr
	switch {
	case !b.live:
		kind = reqCreate
	case l.opts.logoutEvery > 0 && i%l.opts.logoutEvery == l.opts.logoutEvery-1:
		kind = reqLogout
	case l.opts.loginEvery > 0 && i%l.opts.loginEvery == 0:
		kind = reqLogin
	}
	t0 := time.Now()
	err := l.run(b, kind)
	l.record(reqEvent{at: t0, dur: time.Since(t0), browser: b.id, kind: kind, err: err})
	h := kind + b.note
	if err != nil {
		h += "!"
	}
	b.note = ""
	b.history = append(b.history, h)
	if len(b.history) > 12 {
		b.history = b.history[1:]
	}
	if err != nil {
		b.failed = append(b.failed, kind)
		if kind == reqIncr || kind == reqLogin {
			b.unsure++
		}
	} else {
		b.failed = nil
	}
}

// record keeps one request's outcome.
func (l *faultLoad) record(e reqEvent) {
	end := e.at.Add(e.dur).UnixNano()
	if e.err != nil {
		l.lastFail.Store(max(l.lastFail.Load(), end))
	} else {
		l.lastOK.Store(max(l.lastOK.Load(), end))
	}
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// checkOwner weighs what a read of b's session found: its own owner, or
// nothing (the session is gone: lost, evicted, or destroyed by a logout
// that failed), or someone else's (a mix-up).
func (l *faultLoad) checkOwner(b *browser, owner string, ok bool) (gone bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case ok && owner == b.owner:
		return false
	case ok:
		l.mixups = append(l.mixups, fmt.Sprintf("browser %d (session %s) read owner %s", b.id, b.owner, owner))
		return true
	case slices.Contains(b.failed, reqLogout):
		// A failed logout may have deleted it.
	case slices.Contains(b.failed, reqLogin):
		l.lostFailed = append(l.lostFailed, reqLogin)
	case len(b.failed) > 0:
		l.lostFailed = append(l.lostFailed, b.failed[0])
	default:
		l.lostAcked++
	}
	return true
}

// checkCount weighs a count the store returned against the last one it
// acknowledged: below it, acknowledged increments were lost; above it by
// more than the failed increments since, one was applied twice (a retry
// that was not recognised).
func (l *faultLoad) checkCount(b *browser, n int64, incr bool) {
	want := b.acked
	if incr {
		want++ // an Incr counts from the last acknowledged value
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case n < want:
		l.incrLost += want - n
	case n > want+int64(b.unsure):
		l.doubled += n - want - int64(b.unsure)
		l.doubles = append(l.doubles, fmt.Sprintf("browser %d: count %d after %d acknowledged and %d failed increments (incr %v, history %s)",
			b.id, n, b.acked, b.unsure, incr, strings.Join(b.history, " ")))
	}
}

// run runs one request of kind for b.
func (l *faultLoad) run(b *browser, kind string) error {
	var err error
	var n int64
	var destroyedJar []*http.Cookie
	// create binds the session and gives it b's owner; the session may
	// hold a count already (one an Incr started, below).
	create := func(s *sessions.Session) error {
		var err error
		if n, _, err = sessions.Get[int64](s, "n"); err != nil {
			return err
		}
		if err := s.BindUser(b.user, "fault test"); err != nil {
			return err
		}
		return s.Set("owner", b.owner)
	}
	b.cookies, err = l.request(b, b.cookies, func(s *sessions.Session, c sessions.Carrier) error {
		if kind == reqCreate {
			return create(s)
		}
		owner, ok, err := sessions.Get[string](s, "owner")
		if err != nil {
			return err
		}
		if l.checkOwner(b, owner, ok) {
			// Start over in this request, as a login page would.
			b.note += "(gone)"
			b.newSession()
			kind = reqCreate
			return create(s)
		}
		switch kind {
		case reqLogout:
			destroyedJar = b.cookies
			return s.Destroy()
		case reqLogin:
			if err := s.Renew(); err != nil {
				return err
			}
			if err := create(s); err != nil {
				return err
			}
		}
		if n, err = s.Incr("n", 1); err != nil {
			return err
		}
		if s.IsNew() {
			// The session ended between the read and the write (lost,
			// evicted): the write started a new one, holding only
			// what it wrote. Count the loss; the new one is b's.
			l.checkOwner(b, "", false)
			b.note += "(restarted)"
			b.newSession()
			kind = reqCreate
			return create(s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch kind {
	case reqCreate:
		b.live, b.acked = true, n
	case reqLogout:
		l.mu.Lock()
		l.destroyed = append(l.destroyed, destroyedSession{owner: b.owner, cookies: destroyedJar})
		l.mu.Unlock()
		b.newSession()
	default:
		l.checkCount(b, n, true)
		b.note += fmt.Sprintf("=%d", n)
		b.acked, b.unsure = n, 0
	}
	return nil
}

// verifyResult is what the final read of every session found.
type verifyResult struct {
	checked, failed int
	firstErr        error
	resurrected     []string // destroyed sessions that read as live
}

// verify reads every live session once the load has stopped (and the
// store has recovered): its owner must be its own and its count at least
// the last one acknowledged; every acknowledged Destroy must still hold.
func (l *faultLoad) verify() verifyResult {
	var v verifyResult
	for _, b := range l.browsers {
		if !b.live {
			continue
		}
		v.checked++
		var n int64
		var gone bool
		_, err := l.request(b, b.cookies, func(s *sessions.Session, _ sessions.Carrier) error {
			owner, ok, err := sessions.Get[string](s, "owner")
			if err != nil {
				return err
			}
			if gone = l.checkOwner(b, owner, ok); gone {
				return nil
			}
			n, _, err = sessions.Get[int64](s, "n")
			return err
		})
		l.record(reqEvent{at: time.Now(), browser: b.id, kind: reqVerify, err: err})
		if err != nil {
			v.failed++
			if v.firstErr == nil {
				v.firstErr = err
			}
			continue
		}
		if !gone {
			l.checkCount(b, n, false)
		}
	}
	for _, d := range l.destroyed {
		_, err := l.request(nil, d.cookies, func(s *sessions.Session, _ sessions.Carrier) error {
			owner, ok, err := sessions.Get[string](s, "owner")
			if err == nil && ok {
				v.resurrected = append(v.resurrected, owner)
			}
			return err
		})
		if err != nil {
			v.failed++
			if v.firstErr == nil {
				v.firstErr = err
			}
		}
	}
	return v
}

// faultStats sums up the requests of a load (or of some of its browsers,
// or of a time range).
type faultStats struct {
	requests, failed    int
	firstFail, lastFail time.Time
	slowestFail         time.Duration
	kinds               map[string]int       // error kind: count
	examples            map[string]string    // error kind: its first error
	windows             map[int][2]time.Time // browser: its first and last failure
	failedKinds         map[string]int       // request kind: failures
	notUnavailable      []string             // errors that do not wrap ErrUnavailable
}

// stats sums up the recorded requests that keep returns true for.
func (l *faultLoad) stats(keep func(reqEvent) bool) faultStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := faultStats{kinds: map[string]int{}, failedKinds: map[string]int{}, examples: map[string]string{}, windows: map[int][2]time.Time{}}
	for _, e := range l.events {
		if e.kind == reqVerify || (keep != nil && !keep(e)) {
			continue
		}
		s.requests++
		if e.err == nil {
			continue
		}
		s.failed++
		end := e.at.Add(e.dur)
		if s.firstFail.IsZero() || e.at.Before(s.firstFail) {
			s.firstFail = e.at
		}
		if end.After(s.lastFail) {
			s.lastFail = end
		}
		s.slowestFail = max(s.slowestFail, e.dur)
		k := errKind(e.err)
		s.kinds[k]++
		if s.examples[k] == "" {
			s.examples[k] = e.err.Error()
		}
		w, ok := s.windows[e.browser]
		if !ok {
			w[0] = e.at
		}
		if end.After(w[1]) {
			w[1] = end
		}
		s.windows[e.browser] = w
		s.failedKinds[e.kind]++
		if !errors.Is(e.err, sessions.ErrUnavailable) {
			s.notUnavailable = append(s.notUnavailable, e.kind+": "+e.err.Error())
		}
	}
	return s
}

// window is the time from the first failure to the last.
func (s faultStats) window() time.Duration {
	if s.failed == 0 {
		return 0
	}
	return s.lastFail.Sub(s.firstFail)
}

// perSession is the mean and the longest time from a session's first
// failure to its last, over the sessions that failed.
func (s faultStats) perSession() (mean, longest time.Duration) {
	if len(s.windows) == 0 {
		return 0, 0
	}
	var sum time.Duration
	for _, w := range s.windows {
		d := w[1].Sub(w[0])
		sum += d
		longest = max(longest, d)
	}
	return sum / time.Duration(len(s.windows)), longest
}

// String is the stats' line: "41 of 2300 requests failed over 2.4 s ...".
func (s faultStats) String() string {
	if s.failed == 0 {
		return fmt.Sprintf("0 of %d requests failed", s.requests)
	}
	return fmt.Sprintf("%d of %d requests failed over %.2f s (slowest failure %d ms; errors: %s; failed: %s)",
		s.failed, s.requests, s.window().Seconds(), s.slowestFail.Milliseconds(), counts(s.kinds), counts(s.failedKinds))
}

// counts formats a count map, largest first.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// errKind names the cause of a store failure in a word or two.
func errKind(err error) string {
	s := err.Error()
	for _, k := range []string{"TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK", "LOADING", "READONLY", "MASTERDOWN",
		"OOM", "NOSCRIPT", "replicas acknowledged", "connection refused", "connection reset", "broken pipe",
		"i/o timeout", "context deadline exceeded", "EOF", "pool timeout", "client is closed"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// losses is the load's losses and mix-ups, as a line.
func (l *faultLoad) losses(v verifyResult) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("acknowledged writes lost: %d increments, %d sessions; sessions lost after a failed request: %d%s; destroyed sessions back: %d of %d; increments applied twice: %d; mix-ups: %d",
		l.incrLost, l.lostAcked, len(l.lostFailed), kindsOf(l.lostFailed), len(v.resurrected), len(l.destroyed), l.doubled, len(l.mixups))
}

func kindsOf(kinds []string) string {
	if len(kinds) == 0 {
		return ""
	}
	m := map[string]int{}
	for _, k := range kinds {
		m[k]++
	}
	return " (after a failed " + counts(m) + ")"
}

// checkLoad asserts what must hold after any fault: every failure is an
// ErrUnavailable, no session read another's data, and the final reads
// succeeded. strict adds: no acknowledged write lost, no session lost,
// no destroyed session back.
func checkLoad(t *testing.T, name string, l *faultLoad, s faultStats, v verifyResult, strict bool) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.mixups {
		t.Errorf("%s: a session read another session's data: %s", name, m)
	}
	if len(s.notUnavailable) > 0 {
		t.Errorf("%s: %d failures do not wrap ErrUnavailable, first: %s", name, len(s.notUnavailable), s.notUnavailable[0])
	}
	if v.failed > 0 {
		t.Errorf("%s: the store did not recover: %d of the final reads failed, first: %v", name, v.failed, v.firstErr)
	}
	if v.checked == 0 {
		t.Errorf("%s: no live session to check at the end", name)
	}
	if l.doubled > 0 {
		t.Errorf("%s: %d increments were applied twice (a retried write not recognised by its journal entry): %s", name, l.doubled, strings.Join(l.doubles, "; "))
	}
	for _, k := range l.lostFailed {
		if k != reqLogin {
			// A failed login may lose the session (see loginCut); a
			// failed Incr must not.
			t.Errorf("%s: a session was lost after a failed %s", name, k)
			break
		}
	}
	if !strict {
		return
	}
	if l.incrLost > 0 || l.lostAcked > 0 {
		t.Errorf("%s: acknowledged writes lost: %d increments, %d sessions", name, l.incrLost, l.lostAcked)
	}
	if len(v.resurrected) > 0 {
		t.Errorf("%s: %d destroyed sessions read as live again", name, len(v.resurrected))
	}
}

// browserOf returns the browser whose session holds owner (as stored:
// JSON), or -1.
func browserOf(owner string) int {
	var id, gen int
	i := strings.LastIndexByte(owner, '-')
	if i < 0 {
		return -1
	}
	if _, err := fmt.Sscanf(strings.Trim(owner[i+1:], `"`), "%d.%d", &id, &gen); err != nil {
		return -1
	}
	return id
}

// of keeps the events of the browsers ids.
func of(ids []int) func(reqEvent) bool {
	return func(e reqEvent) bool { return slices.Contains(ids, e.browser) }
}

// between keeps the events that started in [from, to).
func between(from, to time.Time) func(reqEvent) bool {
	return func(e reqEvent) bool { return !e.at.Before(from) && e.at.Before(to) }
}
