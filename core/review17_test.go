package sessions_test

// Regression tests from the adversarial review (see review17_internal_test.go).

import (
	"errors"
	sessions "github.com/gosessions/sessions/core"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A handler renews, writes at once (Incr), then panics: the middleware
// discards. The Renew landed with the Incr, so the client's credential
// is dead, and no new one is sent: the crash logs the user out.
func TestReview17PanicAfterRenewIncr(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	ck := login(t, st, nil, "ada", "laptop")
	h := sessions.Middleware(st, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessions.FromContext(r.Context())
		s.Renew()
		s.Incr("n", 1)
		panic("boom")
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	func() {
		defer func() { recover() }()
		h.ServeHTTP(w, r)
	}()
	got := w.Result().Cookies()
	if len(got) == 0 {
		got = ck
	}
	var u string
	exchange(t, st, got, func(s *sessions.Session) { u, _ = s.BoundUser() })
	t.Logf("cookies in the panicking response: %d; the user after: %q", len(w.Result().Cookies()), u)
	if u != "ada" {
		t.Errorf("a panic after Renew+Incr logged the user out")
	}
}

// F7: a user with every permission the README names (CLIENT ID, CLIENT
// TRACKING, the channel, SUBSCRIBE) but not PING: the constructor accepts
// LocalCache, and the cache never serves.
func TestReview17CacheNoPing(t *testing.T) {
	client, _ := aclUser(t, "~*", "+@read", "+@write", "+@scripting", "+@pubsub", "+client|id", "+client|tracking", "+hello", "&__redis__:invalidate")
	st, err := sessions.NewCookieStore(client, sessions.StoreOptions{KeyPrefix: testPrefix(t), LocalCache: 100},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}})
	if err != nil {
		if !errors.Is(err, sessions.ErrInvalidOptions) || !strings.Contains(err.Error(), "PING") {
			t.Fatalf("refused with %v; want ErrInvalidOptions naming PING", err)
		}
		return
	}
	defer st.Close()
	ck := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()
	time.Sleep(1500 * time.Millisecond)
	for range 5 {
		exchange(t, st, ck, func(s *sessions.Session) { sessions.Get[int](s, "n") })
	}
	cs := st.CacheStats()
	t.Logf("stats: %+v", cs)
	if !cs.Live {
		t.Errorf("LocalCache accepted by the constructor, never serves")
	}
}
