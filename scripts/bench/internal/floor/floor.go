// Package floor is the benchmark's floor: the least a Redict-backed
// session can do on net/http. A random id travels in a plain cookie (no
// signature, no encryption); /api/count is GET then SET EX (two round
// trips, not atomic), /api/read one GET, and nothing else: no idle and
// absolute timeouts kept apart, no renewal, no size limit, no
// resurrection guard.
package floor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/gosessions/sessions/scripts/bench/internal/peerapp"
)

const (
	cookieName = "sid"
	keyPrefix  = "floor:"
)

// NewHandler returns the floor's routes over rdb: /health, /api/count and
// /api/read.
func NewHandler(rdb *redis.Client) http.Handler {
	f := floor{rdb: rdb}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", peerapp.Health)
	mux.HandleFunc("GET /api/count", f.count)
	mux.HandleFunc("GET /api/read", f.read)
	return mux
}

type floor struct{ rdb *redis.Client }

// id returns the request's session id, or "" without a well-formed one.
func id(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

func (f floor) count(w http.ResponseWriter, r *http.Request) {
	sid := id(r)
	var n int64
	if sid == "" {
		var b [16]byte
		rand.Read(b[:]) // never fails (crypto/rand)
		sid = hex.EncodeToString(b[:])
		// Not Secure: the bench speaks plain HTTP on loopback, and a cookie
		// jar sends a Secure cookie over HTTPS only.
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: see above
	} else {
		v, err := f.rdb.Get(r.Context(), keyPrefix+sid).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
			return
		}
		n = v
	}
	n++
	if err := f.rdb.Set(r.Context(), keyPrefix+sid, strconv.FormatInt(n, 10), peerapp.IdleTimeout).Err(); err != nil {
		peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
		return
	}
	peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(n))
}

func (f floor) read(w http.ResponseWriter, r *http.Request) {
	var n int64
	if sid := id(r); sid != "" {
		v, err := f.rdb.Get(r.Context(), keyPrefix+sid).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
			return
		}
		n = v
	}
	peerapp.WriteJSON(w, http.StatusOK, peerapp.CountBody(n))
}
