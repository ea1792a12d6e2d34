package sessions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A journal state _j that does not parse (another build wrote it: Lua's
// %.14g prints a µs time as "1.7964977726364e+15") fails closed: the
// horizon becomes the newest entry's issue time, so a retry of a write
// whose entry was pruned is refused, never applied twice. It used to read
// as horizon 0.
func TestUnparsableJournalStateFailsClosed(t *testing.T) {
	st := reviewStore(t, StoreOptions{})
	ctx := context.Background()
	ck := rx(t, st, nil, func(s *Session) { s.Set("n", 0) })
	s, _ := rxLoad(st, ck)
	if _, _, err := Get[int](s, "n"); err != nil {
		t.Fatal(err)
	}
	key, ver := s.key, s.cred.verifier()
	incr := func(now time.Time, nonce string) []string {
		args := []any{"u", now.UnixMilli(), st.args.idle, st.args.max, st.args.journal,
			nonce, ver, "", "", "", "", "", "i", dataPrefix + "n", 1}
		res, err := writeScript.Run(ctx, st.client, []string{key}, args...).StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	now := time.Now()
	first := newNonce(now)
	if res := incr(now, first); res[0] != "ok" {
		t.Fatalf("first write: %v", res)
	}
	for range 3 {
		if res := incr(time.Now(), newNonce(time.Now())); res[0] != "ok" {
			t.Fatalf("write: %v", res)
		}
	}
	// Another build pruned the first write's entry and wrote _j in
	// exponent form.
	if err := st.client.HDel(ctx, key, "_n"+first).Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.client.HSet(ctx, key, "_j", "1.7964977726364e+15.1796497772642.49").Err(); err != nil {
		t.Fatal(err)
	}
	before, _ := st.client.HGet(ctx, key, dataPrefix+"n").Result()
	res := incr(now, first) // go-redis resends the first write
	after, _ := st.client.HGet(ctx, key, dataPrefix+"n").Result()
	if res[0] != "unknown" || after != before {
		t.Fatalf("a retry past an unparsable _j: %v, n %s -> %s; want it refused (unknown), n unchanged", res, before, after)
	}
	if res := incr(time.Now(), newNonce(time.Now())); res[0] != "ok" {
		t.Fatalf("a new write after it: %v", res)
	}
	if j, _ := st.client.HGet(ctx, key, "_j").Result(); strings.Contains(j, "e") {
		t.Errorf("_j after a new write: %q, want it rewritten", j)
	}
}

// A save that failed, then a panic (Discard) sending the token of a
// session an Incr renewed: one Vary and one Cache-Control, not two.
func TestDiscardAfterFailedSaveHeadersOnce(t *testing.T) {
	st := reviewStore(t, StoreOptions{Optimistic: true})
	ck := rx(t, st, nil, func(s *Session) { s.Set("n", 0) })
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range ck {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	c := HTTPCarrier(w, r)
	s := st.Load(context.Background(), c)
	if _, _, err := Get[int](s, "n"); err != nil {
		t.Fatal(err)
	}
	if err := s.Renew(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr("n", 1); err != nil { // renews now
		t.Fatal(err)
	}
	// Another request changes the session: this one's next save conflicts.
	if err := st.client.HIncrBy(context.Background(), s.key, "_r", 1).Err(); err != nil {
		t.Fatal(err)
	}
	s.Set("x", 1)
	if _, err := s.Incr("n", 1); err == nil { // writes the Set, checked: a conflict, sticky
		t.Fatal("Incr after a concurrent change: no error, want a conflict")
	}
	if err := st.Save(context.Background(), c, s); err == nil {
		t.Fatal("Save after a concurrent change: no error, want a conflict")
	}
	st.Discard(s) // the handler panicked
	h := w.Header()
	if len(h.Values("Vary")) != 1 || len(h.Values("Cache-Control")) != 1 {
		t.Errorf("Vary %q, Cache-Control %q; want each once", h.Values("Vary"), h.Values("Cache-Control"))
	}
	if len(w.Result().Cookies()) != 1 {
		t.Errorf("cookies %d, want the renewed session's one", len(w.Result().Cookies()))
	}
}
