package sessions_test

// Defects a new user's trial of the README found (each failing before its
// fix).

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// LogEvents(nil) logs to slog's default logger; it used to panic on the
// first event, in the middle of a request.
func TestLogEventsNilLogger(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)
	hook := sessions.LogEvents(nil)
	hook(context.Background(), sessions.Event{Kind: sessions.EventRefused, Reason: "malformed"})
	if !strings.Contains(buf.String(), "reason=malformed") {
		t.Errorf("LogEvents(nil) wrote %q to the default logger; want the refusal", buf.String())
	}
}

// The middleware's own error answer (a store failure at save) carries
// Vary like every other response to a request that holds a token.
func TestStoreFailureAnswerVaries(t *testing.T) {
	st, _ := newCookieStore(t, sessions.StoreOptions{}, sessions.CookieOptions{DisableSecure: true})
	cookies := exchange(t, st, nil, func(s *sessions.Session) { s.Set("a", 1) }).Result().Cookies()
	dead, err := sessions.NewClient("redis://127.0.0.1:1/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	down, err := sessions.NewCookieStore(dead, sessions.StoreOptions{KeyPrefix: st.Options().KeyPrefix, Timeout: 200 * time.Millisecond},
		sessions.CookieOptions{Secrets: [][]byte{testSecret()}, DisableSecure: true})
	if err != nil {
		t.Fatal(err)
	}
	h := sessions.Middleware(down, sessions.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sessions.FromContext(r.Context()).Set("b", 2) // saved as the header goes out: the store is down
		w.WriteHeader(http.StatusOK)
	}))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if got := w.Header().Values("Vary"); len(got) != 1 || got[0] != "Cookie" {
		t.Errorf("the 503's Vary: %q, want [Cookie]", got)
	}
}
