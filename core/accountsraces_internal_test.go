package sessions

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func reviewStore(t *testing.T, so StoreOptions) *Store {
	t.Helper()
	client, err := NewClient(os.Getenv("REDICT_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	so.KeyPrefix = "rtest:" + rand.Text()[:12] + ":"
	st, err := NewCookieStore(client, so, CookieOptions{Secrets: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func rx(t *testing.T, st *Store, cookies []*http.Cookie, fn func(s *Session)) []*http.Cookie {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	fn(s)
	if err := st.Save(context.Background(), c, s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if ck := w.Result().Cookies(); len(ck) > 0 {
		return ck
	}
	return cookies
}

// R4: a Renew abandoned before its save (the process died) used to leave
// the record at a take key, pruned from the index and later restored
// unlisted, so log-out-everywhere missed it. A Renew now writes nothing
// until its save: the abandoned one leaves the session as it was, listed,
// and log-out-everywhere ends it.
func TestRestoreAfterPrune(t *testing.T) {
	var off atomic.Int64
	st := reviewStore(t, StoreOptions{})
	st.now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	ada := rx(t, st, nil, func(s *Session) { s.Renew(); s.BindUser("ada", "laptop") })
	off.Store(int64(time.Minute))
	// A login request on the same cookie renews, then dies (no Save, no Discard).
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ada {
		r.AddCookie(c)
	}
	s := st.Load(context.Background(), HTTPCarrier(httptest.NewRecorder(), r))
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	off.Store(int64(2 * time.Minute))
	if l, err := st.ListSessions(context.Background(), "ada", nil); err != nil || len(l) != 1 {
		t.Fatalf("list after the abandoned Renew: %v %v, want the one session", l, err)
	}
	var u string
	rx(t, st, ada, func(s *Session) { u, _ = s.BoundUser() })
	if u != "ada" {
		t.Fatalf("the session after an abandoned Renew: bound to %q, want ada", u)
	}
	n, _ := st.DestroyUserSessions(context.Background(), "ada", nil)
	rx(t, st, ada, func(s *Session) { u, _ = s.BoundUser() })
	if u != "" {
		t.Errorf("restored session survives log-out-everywhere (ended %d), still bound to %q", n, u)
	}
}

// R9: two logins of one user in the same millisecond with cap 1: the
// index breaks the tie by member, so about half the time a login ends
// the session it has just created (and keeps the older one).
func TestCapTieEndsNewSession(t *testing.T) {
	st := reviewStore(t, StoreOptions{MaxSessionsPerUser: 1})
	fixed := time.Now()
	st.now = func() time.Time { return fixed }
	killed := 0
	for i := range 20 {
		user := "u" + string(rune('a'+i))
		rx(t, st, nil, func(s *Session) { s.BindUser(user, "old") })
		second := rx(t, st, nil, func(s *Session) { s.BindUser(user, "new") })
		var u string
		rx(t, st, second, func(s *Session) { u, _ = s.BoundUser() })
		if u == "" {
			killed++
		}
	}
	if killed > 0 {
		t.Errorf("cap 1: %d of 20 logins ended the session they had just created", killed)
	}
}

// R10: an OnEvent hook that looks at the request's session (to tag the
// event with the user, say) deadlocks: events are emitted with s.mu held.
func TestEventHookDeadlock(t *testing.T) {
	st := reviewStore(t, StoreOptions{OnEvent: func(ctx context.Context, e Event) {
		if s := FromContext(ctx); s != nil {
			s.Handle()
		}
	}})
	h := Middleware(st, MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("a", 1)
		w.Write([]byte("ok"))
	}))
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("request hung: OnEvent called with the session's lock held")
	}
}

// R13 (code path of a Cluster whose index node fails): the record's write
// lands, the index update fails, Save reports ErrUnavailable: the session
// is bound (logged in) but missing from the index.
func TestIndexFailureAfterWrite(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	ck := rx(t, st, nil, func(s *Session) { s.Set("a", "1") })
	st.client.Set(context.Background(), st.indexKey("ada"), "x", time.Minute) // the index's node fails (WRONGTYPE stands in)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	s.BindUser("ada", "laptop")
	err := st.Save(context.Background(), c, s)
	st.client.Del(context.Background(), st.indexKey("ada"))
	var u string
	rx(t, st, ck, func(s *Session) { u, _ = s.BoundUser() })
	t.Logf("Save = %v; the session afterwards is bound to %q", err, u)
	if err != nil && u != "" {
		t.Errorf("Save failed (%v) yet the session is bound to %q, and not in the index", err, u)
	}
}
