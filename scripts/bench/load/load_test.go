package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunKeepsOneJarPerUserAndBoundsTheCount(t *testing.T) {
	t.Parallel()
	var next, hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if _, err := r.Cookie("u"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "u", Value: string(rune('a' + next.Add(1)))})
		}
	}))
	defer srv.Close()
	users := NewUsers(4)
	r, err := Run(context.Background(), users, srv.URL, 5*time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 100 || r.Failures != 0 || hits.Load() != 100 {
		t.Errorf("requests %d, failures %d, hits %d; want 100, 0, 100", r.Requests, r.Failures, hits.Load())
	}
	if next.Load() > 4 {
		t.Errorf("%d cookies handed out to 4 users: a jar is not kept", next.Load())
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.PerSecond() <= 0 {
		t.Errorf("latencies %v %v, %v/s", r.P50, r.P99, r.PerSecond())
	}
}

func TestRunCountsFailures(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	r, err := Run(context.Background(), NewUsers(2), srv.URL, 5*time.Second, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 0 || r.Failures != 10 || r.Failure == "" {
		t.Errorf("%+v", r)
	}
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:1/", "http://[::1]:1/", "http://localhost:1/"} {
		if err := Loopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://192.168.1.1:80/"} {
		if err := Loopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := Run(context.Background(), NewUsers(1), "http://10.0.0.1/", time.Second, 1); err == nil {
		t.Error("Run accepted a non-loopback URL")
	}
}
