package sessionstest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	sessions "github.com/gosessions/sessions/core"
)

// sentinels names every sentinel error of the core (errors.go; the kit's
// TestSentinelsCoverErrorsGo keeps the two in step).
var sentinels = map[string]error{
	"ErrUnavailable":        sessions.ErrUnavailable,
	"ErrTooLarge":           sessions.ErrTooLarge,
	"ErrNotInteger":         sessions.ErrNotInteger,
	"ErrOutOfRange":         sessions.ErrOutOfRange,
	"ErrCommitted":          sessions.ErrCommitted,
	"ErrDecode":             sessions.ErrDecode,
	"ErrEncode":             sessions.ErrEncode,
	"ErrNoSession":          sessions.ErrNoSession,
	"ErrIncompatibleRecord": sessions.ErrIncompatibleRecord,
	"ErrInvalidOptions":     sessions.ErrInvalidOptions,
	"ErrInvalidKey":         sessions.ErrInvalidKey,
	"ErrLocked":             sessions.ErrLocked,
	"ErrTooManySessions":    sessions.ErrTooManySessions,
	"ErrNoUser":             sessions.ErrNoUser,
	"ErrConflict":           sessions.ErrConflict,
}

// routeFail sets k to v when k is given, then fails: with the sentinel
// named e, wrapped as an app would ("shop: ..."), or, for e=incr, with
// the error of an Incr of k's string value (the core's own
// ErrNotInteger).
func routeFail(s *sessions.Session, form url.Values) (int, any) {
	if k := form.Get("k"); k != "" {
		if err := s.Set(k, form.Get("v")); err != nil {
			return http.StatusInternalServerError, obj{"error": "set failed"}
		}
	}
	if form.Get("e") == "incr" {
		_, err := s.Incr(form.Get("k"), 1)
		if err == nil {
			return http.StatusOK, obj{"error": "Incr of a string succeeded"}
		}
		return 0, err
	}
	return 0, fmt.Errorf("shop: %w", sentinels[form.Get("e")])
}

// checkHandlerError: a session error that the handler returns (reports,
// on net/http) is answered as the integration answers a store failure:
// status sessions.ErrorStatus(err), body sessions.ErrorBody(err) byte
// for byte, Content-Type application/json, Cache-Control no-store. As
// with any handler error, the session's changes made before it are kept
// and its token is sent.
func checkHandlerError(t *testing.T, s *suite) {
	f := s.setup(t, sessions.StoreOptions{})
	for _, name := range slices.Sorted(maps.Keys(sentinels)) {
		c := f.client(t)
		r := c.do(http.MethodPost, "/fail", url.Values{"e": {name}, "k": {"k"}, "v": {name}})
		wantErrorAnswer(t, "POST /fail "+name, r, sentinels[name])
		if !r.set {
			t.Errorf("POST /fail %s: no token; the session the handler started must be saved and sent", name)
			continue
		}
		c.wantValue("k", name)
	}

	c := f.client(t)
	c.set("n", "not a number")
	r := c.do(http.MethodPost, "/fail", url.Values{"e": {"incr"}, "k": {"n"}, "v": {"still not"}})
	wantErrorAnswer(t, "POST /fail with an Incr of a string", r, sessions.ErrNotInteger)
	c.wantValue("n", "still not")
}

// wantErrorAnswer fails t unless r is the answer to a session error err.
func wantErrorAnswer(t testing.TB, what string, r reply, err error) {
	t.Helper()
	if r.status != sessions.ErrorStatus(err) || string(r.raw) != sessions.ErrorBody(err) {
		t.Errorf("%s: status %d, body %q; want %d %q", what, r.status, r.raw, sessions.ErrorStatus(err), sessions.ErrorBody(err))
	}
	if cc := r.resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
	}
}
