package sessions_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// Issue 16 item 1: two logins at the same moment under a cap of 1, with
// the user signed in elsewhere, each took the other's new session for one
// of the oldest and ended it, leaving the user with none. The cap never
// ends a session newer than the one it keeps: after both logins exactly
// one session is left, and it is one of the two.
func TestCapConcurrentLogins(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		st, _ := newCookieStore(t, sessions.StoreOptions{MaxSessionsPerUser: 1}, sessions.CookieOptions{})
		login(t, st, nil, "ada", "elsewhere")
		var wg sync.WaitGroup
		var jars [2][]*http.Cookie
		for i := range jars {
			wg.Add(1)
			go func() {
				defer wg.Done()
				jars[i] = login(t, st, nil, "ada", "new")
			}()
		}
		wg.Wait()
		l := list(t, st, "ada")
		live := 0
		for _, jar := range jars {
			if boundTo(t, st, jar) == "ada" {
				live++
			}
		}
		if len(l) != 1 || live != 1 {
			t.Fatalf("round %d: %d sessions listed, %d of the two new ones live; want exactly 1 and 1", round, len(l), live)
		}
	}
}

// Issue 16 item 2: a client that goes away is not a store outage. A save
// after the handler ran finishes whatever the request's context does.
func TestSaveOutlivesCanceledRequest(t *testing.T) {
	t.Parallel()
	var events []sessions.Event
	var mu sync.Mutex
	st, _ := newCookieStore(t, sessions.StoreOptions{OnEvent: func(_ context.Context, e sessions.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}}, sessions.CookieOptions{})
	jar := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 1) }).Result().Cookies()

	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	for _, c := range jar {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := sessions.HTTPCarrier(w, r)
	s := st.Load(ctx, c)
	if _, _, err := sessions.Get[int](s, "n"); err != nil {
		t.Fatal(err)
	}
	s.Set("order", "paid") // the handler's database work committed
	cancel()               // and the client went away
	if err := st.Save(ctx, c, s); err != nil {
		t.Fatalf("Save after the client went away: %v, want nil", err)
	}
	exchange(t, st, jar, func(s *sessions.Session) {
		if v, _, _ := sessions.Get[string](s, "order"); v != "paid" {
			t.Errorf("order = %q after a save whose client went away, want paid", v)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	for _, e := range events {
		if e.Kind == sessions.EventStoreError {
			t.Errorf("event %v (%v) for a client that went away", e.Kind, e.Err)
		}
	}
}

// Issue 16 item 2: a read on a context the client cancelled fails with
// the context's error: it is not ErrUnavailable, not an EventStoreError,
// and it does not drop the local cache (any client could empty it at
// will).
func TestCanceledReadIsNotOutage(t *testing.T) {
	var storeErrors int
	var mu sync.Mutex
	st, cc := cachedStore(t, testPrefix(t), sessions.StoreOptions{OnEvent: func(_ context.Context, e sessions.Event) {
		if e.Kind == sessions.EventStoreError {
			mu.Lock()
			storeErrors++
			mu.Unlock()
		}
	}})
	ada := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 7) }).Result().Cookies()
	bob := exchange(t, st, nil, func(s *sessions.Session) { s.Set("n", 8) }).Result().Cookies()
	// Until ada's read is served from the cache: the invalidation of her
	// create's own write may come after the first read filled the cache.
	for i := 0; ; i++ {
		before := cc.n.Load()
		if readCount(t, st, ada) != 7 {
			t.Fatal("ada's count")
		}
		if cc.n.Load() == before {
			break
		}
		if i == 100 {
			t.Fatal("ada's read is never served from the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
	flushes := st.CacheStats().Flushes

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	for _, c := range bob {
		r.AddCookie(c)
	}
	s := st.Load(ctx, sessions.HTTPCarrier(httptest.NewRecorder(), r))
	_, _, err := sessions.Get[int](s, "n")
	if err == nil || errors.Is(err, sessions.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("read on a cancelled context: %v; want context.Canceled, not ErrUnavailable", err)
	}
	if got := sessions.ErrorStatus(err); got == http.StatusServiceUnavailable {
		t.Errorf("ErrorStatus = %d for a client that went away", got)
	}
	mu.Lock()
	if storeErrors != 0 {
		t.Errorf("%d EventStoreError for a client that went away", storeErrors)
	}
	mu.Unlock()
	if f := st.CacheStats().Flushes; f != flushes {
		t.Errorf("the cache was flushed %d times by a client that went away", f-flushes)
	}
	before := cc.n.Load()
	if readCount(t, st, ada) != 7 || cc.n.Load() != before {
		t.Errorf("ada's cached read after another client went away cost %d commands, want 0", cc.n.Load()-before)
	}
}

// Issue 16 item 3: inside Update, an Incr saved fn's pending Set at once
// without the revision check, overwriting another request's change made
// between fn's read and the Incr. Every write inside Update is checked
// against the revision fn read, and a conflict runs fn again.
func TestUpdateIncrChecksRevision(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	jar := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	runs := 0
	exchange(t, st, jar, func(s *sessions.Session) {
		err := s.Update(func(s *sessions.Session) error {
			runs++
			a, _, err := sessions.Get[int](s, "a")
			if err != nil {
				return err
			}
			if runs == 1 { // another request, between this read and this write
				exchange(t, st, jar, func(s *sessions.Session) { s.Set("a", 2) })
			}
			if err := s.Set("a", a+10); err != nil {
				return err
			}
			_, err = s.Incr("edits", 1)
			return err
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	})
	exchange(t, st, jar, func(s *sessions.Session) {
		a, _, _ := sessions.Get[int](s, "a")
		if a != 12 || runs != 2 {
			t.Errorf("a = %d after %d runs; want 12 (the other request's 2, plus 10) after 2 runs", a, runs)
		}
	})
}

// Issue 16 item 10: an empty key is refused.
func TestEmptyKeyRefused(t *testing.T) {
	t.Parallel()
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{})
	exchange(t, st, nil, func(s *sessions.Session) {
		if err := s.Set("", 1); !errors.Is(err, sessions.ErrInvalidKey) {
			t.Errorf(`Set("") = %v, want ErrInvalidKey`, err)
		}
		if _, err := s.Incr("", 1); !errors.Is(err, sessions.ErrInvalidKey) {
			t.Errorf(`Incr("") = %v, want ErrInvalidKey`, err)
		}
		if _, _, err := sessions.Get[int](s, ""); !errors.Is(err, sessions.ErrInvalidKey) {
			t.Errorf(`Get("") = %v, want ErrInvalidKey`, err)
		}
		if !s.IsNew() {
			t.Error("a refused key started a session")
		}
	})
}

// Issue 16 item 9: a Secure cookie set on a plain-http request to a host
// browsers do not treat as secure is never sent back; the middleware logs
// one warning, once per store, naming DisableSecure. localhost, https and
// a TLS proxy's X-Forwarded-Proto are fine.
func TestSecureCookieOnPlainHTTPWarns(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	st, _ := newCookieStore(t, sessions.StoreOptions{Logger: logger}, sessions.CookieOptions{})
	h := sessions.Middleware(st, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sessions.FromContext(r.Context()).Incr("n", 1)
	}))
	serve := func(url string, header ...string) {
		r := httptest.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || len(w.Result().Cookies()) != 1 {
			t.Fatalf("%s: %d, %d cookies", url, w.Code, len(w.Result().Cookies()))
		}
	}
	warnings := func() int {
		mu.Lock()
		defer mu.Unlock()
		return strings.Count(buf.String(), "DisableSecure")
	}
	for _, url := range []string{"http://localhost:8080/", "http://127.0.0.1:8080/", "http://[::1]:8080/", "http://app.localhost/", "https://shop.example/"} {
		serve(url)
	}
	serve("http://shop.example/", "X-Forwarded-Proto", "https")
	if n := warnings(); n != 0 {
		t.Fatalf("%d warnings for secure contexts: %s", n, buf.String())
	}
	serve("http://shop.lan:8080/")
	serve("http://shop.lan:8080/")
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings for Secure cookies over plain http to shop.lan, want 1: %s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("not a warning: %s", buf.String())
	}

	// DisableSecure: nothing to warn about.
	buf.Reset()
	st2, _ := newCookieStore(t, sessions.StoreOptions{Logger: logger}, sessions.CookieOptions{DisableSecure: true})
	h = sessions.Middleware(st2, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sessions.FromContext(r.Context()).Incr("n", 1)
	}))
	serve("http://shop.lan:8080/")
	if n := warnings(); n != 0 {
		t.Errorf("%d warnings with DisableSecure", n)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var _ = time.Second
