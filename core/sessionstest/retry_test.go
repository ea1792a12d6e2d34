package sessionstest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// The tests in this file hold the core's store to its behaviour when a
// reply is lost and the client retries the command (go-redis retries on
// network errors; NewClient keeps one retry): no write may count twice, and
// no retry may lose data. They drive the core below the HTTP layer, through
// the kit's proxy, which can drop the reply of the next command.

// retryStore returns a cookie store behind its own proxy.
func retryStore(t *testing.T) (*sessions.Store, *proxy, *rawStore, string) {
	t.Helper()
	e := newEnv(t, Harness{})
	prefix := newPrefix()
	raw := dialRESP(t, e)
	t.Cleanup(func() { raw.deletePrefix(t, prefix) })
	p := startProxy(t, e)
	st := cookieKit(e).newStore(t, p.url(""), sessions.StoreOptions{KeyPrefix: prefix})
	return st, p, raw, prefix
}

// roundTrip runs fn on the session of a request that carries the cookies
// of prev (none when nil), saves it, and returns the response.
func roundTrip(t *testing.T, st *sessions.Store, prev *http.Response, fn func(s *sessions.Session)) (*http.Response, error) {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if prev != nil {
		for _, ck := range prev.Cookies() {
			r.AddCookie(ck)
		}
	}
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	fn(s)
	err := st.Save(context.Background(), c, s)
	return w.Result(), err
}

// records returns the session records under prefix.
func records(t *testing.T, raw *rawStore, prefix string) []string {
	var out []string
	for _, k := range raw.keys(t, prefix) {
		if recordKey(prefix, k) {
			out = append(out, k)
		}
	}
	return out
}

// An Incr whose reply is lost and retried counts once.
func TestLostReplyIncr(t *testing.T) {
	st, p, _, _ := retryStore(t)
	prev := mint(t, st, map[string]string{"x": "1"})
	roundTrip(t, st, prev, func(s *sessions.Session) { s.Incr("n", 1) })
	p.loseNextReply()
	roundTrip(t, st, prev, func(s *sessions.Session) { s.Incr("n", 1) })
	var n int64
	roundTrip(t, st, prev, func(s *sessions.Session) { n, _ = s.Incr("n", 0) })
	if n != 2 {
		t.Errorf("two Incr(1), the reply of the second lost: n = %d, want 2", n)
	}
}

// A Renew whose take is retried after a lost reply keeps the data.
func TestLostReplyRenew(t *testing.T) {
	st, p, _, _ := retryStore(t)
	prev := mint(t, st, map[string]string{"user": "ada"})
	var (
		renewErr error
		found    bool
	)
	_, saveErr := roundTrip(t, st, prev, func(s *sessions.Session) {
		p.loseNextReply()
		renewErr = s.Renew()
		_, found, _ = sessions.Get[string](s, "user")
	})
	if renewErr != nil || saveErr != nil || !found {
		t.Errorf("Renew with its reply lost: Renew %v, Save %v, data kept %v; want no error and the data", renewErr, saveErr, found)
	}
}

// A create whose reply is lost and retried makes one record, not two.
func TestLostReplyCreate(t *testing.T) {
	st, p, raw, prefix := retryStore(t)
	p.loseNextReply()
	_, err := roundTrip(t, st, nil, func(s *sessions.Session) { s.Set("a", "1") })
	if n := len(records(t, raw, prefix)); err != nil || n != 1 {
		t.Errorf("one session created, its first reply lost: %v, %d records, want 1", err, n)
	}
}

// Clear or Delete on a request without a session creates nothing.
func TestClearWithoutSession(t *testing.T) {
	st, _, raw, prefix := retryStore(t)
	for _, op := range []struct {
		name string
		fn   func(s *sessions.Session)
	}{
		{"Clear", func(s *sessions.Session) { s.Clear() }},
		{"Delete", func(s *sessions.Session) { s.Delete("k") }},
	} {
		before := len(raw.keys(t, prefix))
		resp, err := roundTrip(t, st, nil, op.fn)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(raw.keys(t, prefix)) - before; n != 0 || len(resp.Cookies()) != 0 {
			t.Errorf("%s without a session: %d records created, %d cookies set; want none", op.name, n, len(resp.Cookies()))
		}
	}
}

// A write whose reply is lost is retried after another request wrote the
// same session: the retry is recognised, not applied a second time (two
// increments stay two, whatever came in between).
func TestLostReplyRetriedAfterAnotherWrite(t *testing.T) {
	st, p, _, _ := retryStore(t)
	prev := mint(t, st, map[string]string{"x": "1"})
	p.reset()
	release := p.holdNextReply()
	done := make(chan error, 1)
	go func() {
		// A: its reply is held, then lost; go-redis retries it.
		_, err := roundTrip(t, st, prev, func(s *sessions.Session) { s.Incr("n", 1) })
		done <- err
	}()
	// Wait until A's command is at the server (the proxy saw it).
	for deadline := time.Now().Add(5 * time.Second); len(p.commands()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("A's Incr never reached the proxy")
		}
		time.Sleep(time.Millisecond)
	}
	// B writes the session meanwhile, on another connection.
	if _, err := roundTrip(t, st, prev, func(s *sessions.Session) { s.Incr("n", 1) }); err != nil {
		t.Fatalf("B: %v (commands %v)", err, p.commands())
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("A, retried: %v", err)
	}
	var n int64
	roundTrip(t, st, prev, func(s *sessions.Session) { n, _ = s.Incr("n", 0) })
	if n != 2 {
		t.Errorf("A's Incr(1) retried after B's Incr(1): n = %d, want 2", n)
	}
}

// A Renew whose script ran on the server but whose reply came too late
// (the client gave up, and go-redis does not retry) is sent once more with
// the same nonce: the script recognises its own retry, and the Renew
// stands, with the data, under the new token only.
func TestRenewReplyAfterTimeout(t *testing.T) {
	e := newEnv(t, Harness{})
	prefix := newPrefix()
	raw := dialRESP(t, e)
	t.Cleanup(func() { raw.deletePrefix(t, prefix) })
	p := startProxy(t, e)
	// max_retries=-1: go-redis gives up at once.
	st := cookieKit(e).newStore(t, p.url("max_retries=-1"), sessions.StoreOptions{KeyPrefix: prefix, Timeout: 300 * time.Millisecond})
	prev := mint(t, st, map[string]string{"user": "ada"})

	var release func()
	resp, saveErr := roundTrip(t, st, prev, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			t.Fatalf("Get: %v", err)
		}
		if err := s.Renew(); err != nil {
			t.Fatal(err)
		}
		release = p.holdNextReply() // the Renew's write, at Save
	})
	release()
	if saveErr != nil || len(resp.Cookies()) != 1 {
		t.Fatalf("Renew with its first reply held past the timeout: Save %v, %d cookies; want the Renew resent, standing", saveErr, len(resp.Cookies()))
	}
	var v string
	roundTrip(t, st, resp, func(s *sessions.Session) { v, _, _ = sessions.Get[string](s, "user") })
	if v != "ada" {
		t.Errorf("the renewed session: user = %q, want ada", v)
	}
	roundTrip(t, st, prev, func(s *sessions.Session) { v, _, _ = sessions.Get[string](s, "user") })
	if v != "" {
		t.Errorf("the token from before the Renew still reads user %q", v)
	}
	if n := len(records(t, raw, prefix)); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

// A Renew whose outcome stays unknown (sent twice, both held past the
// timeout) fails closed: Save fails with ErrUnavailable and gives the
// client no token, neither the new one (not confirmed) nor the old one
// again (which the Renew, once it lands, has killed).
func TestRenewFailsClosed(t *testing.T) {
	e := newEnv(t, Harness{})
	prefix := newPrefix()
	raw := dialRESP(t, e)
	t.Cleanup(func() { raw.deletePrefix(t, prefix) })
	p := startProxy(t, e)
	st := cookieKit(e).newStore(t, p.url("max_retries=-1"), sessions.StoreOptions{KeyPrefix: prefix, Timeout: 200 * time.Millisecond})
	prev := mint(t, st, map[string]string{"user": "ada"})
	var release func()
	resp, saveErr := roundTrip(t, st, prev, func(s *sessions.Session) {
		if _, _, err := sessions.Get[string](s, "user"); err != nil {
			t.Fatalf("Get: %v", err)
		}
		s.Renew()
		s.BindUser("ada", "laptop")
		release = p.delayCommands(0) // every command from here on
	})
	release() // the two sends reach the store now: the Renew lands
	if !errors.Is(saveErr, sessions.ErrUnavailable) || len(resp.Cookies()) != 0 {
		t.Fatalf("Renew whose outcome is unknown: Save %v, %d cookies; want ErrUnavailable and none", saveErr, len(resp.Cookies()))
	}
	time.Sleep(100 * time.Millisecond)
	var (
		v   string
		err error
	)
	roundTrip(t, st, prev, func(s *sessions.Session) { v, _, err = sessions.Get[string](s, "user") })
	if err != nil || v != "" {
		t.Errorf("the old token after a Renew that landed unconfirmed: user = %q, %v; want a fresh session", v, err)
	}
}

// A write whose reply is lost is retried only after more writes than the
// journal keeps came in between: its entry was pruned, so the retry cannot
// be told from a new write. It is refused (ErrUnavailable, outcome
// unknown) and applied once, never twice.
func TestRetryBeyondHorizonRefused(t *testing.T) {
	st, p, _, _ := retryStore(t)
	prev := mint(t, st, map[string]string{"x": "1"})
	p.reset()
	release := p.holdNextReply()
	done := make(chan error, 1)
	go func() {
		_, err := roundTrip(t, st, prev, func(s *sessions.Session) {
			if _, err := s.Incr("n", 1); err != nil {
				done <- err
			}
		})
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); len(p.commands()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("A's Incr never reached the proxy")
		}
		time.Sleep(time.Millisecond)
	}
	const others = 70 // more than the journal keeps
	for range others {
		if _, err := roundTrip(t, st, prev, func(s *sessions.Session) { s.Incr("n", 1) }); err != nil {
			t.Fatalf("another write: %v", err)
		}
	}
	release()
	if err := <-done; !errors.Is(err, sessions.ErrUnavailable) {
		t.Fatalf("A's Incr retried past the journal's horizon: %v, want ErrUnavailable (outcome unknown)", err)
	}
	var n int64
	roundTrip(t, st, prev, func(s *sessions.Session) { n, _ = s.Incr("n", 0) })
	if n != others+1 {
		t.Errorf("n = %d, want %d: A's Incr applied once", n, others+1)
	}
}
