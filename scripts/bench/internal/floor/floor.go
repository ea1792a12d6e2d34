// Package floor is the benchmark's floor: the least a Redict-backed
// session can do on net/http. A random id travels in a plain cookie (no
// signature, no encryption); /api/count is GET then SET EX (two round
// trips, not atomic), /api/read one GET, and nothing else: no idle and
// absolute timeouts kept apart, no size limit, no resurrection guard.
//
// POST /api/login (form field user) gives the session a new id in one
// round trip, a pipeline of RENAME floor:OLD floor:NEW (the count moves,
// the old id is dead; an error when there is no old key, which the
// pipeline ignores) and SET floor:NEW:user NAME EX; POST /api/logout is
// one DEL of both keys. No per-user index, no check that the old id was
// live: the least a login can do, for the bench's round-trip table.
package floor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

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
	mux.HandleFunc("POST /api/login", f.login)
	mux.HandleFunc("POST /api/logout", f.logout)
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

// newID sets a new session id's cookie and returns the id.
func newID(w http.ResponseWriter) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	sid := hex.EncodeToString(b[:])
	// Not Secure: the bench speaks plain HTTP on loopback, and a cookie
	// jar sends a Secure cookie over HTTPS only.
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}) //nolint:gosec // G124: see above
	return sid
}

func (f floor) count(w http.ResponseWriter, r *http.Request) {
	sid := id(r)
	var n int64
	if sid == "" {
		sid = newID(w)
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

func (f floor) login(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("user")
	if name == "" {
		peerapp.WriteJSON(w, http.StatusBadRequest, []byte(`{"error":"form field user is required"}`))
		return
	}
	old := id(r)
	sid := newID(w)
	_, err := f.rdb.Pipelined(r.Context(), func(p redis.Pipeliner) error {
		if old != "" {
			p.Rename(r.Context(), keyPrefix+old, keyPrefix+sid)
		}
		p.Set(r.Context(), keyPrefix+sid+":user", name, peerapp.IdleTimeout)
		return nil
	})
	// RENAME fails when the old session has expired: the login stands.
	if err != nil && !isNoSuchKey(err) {
		peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
		return
	}
	peerapp.WriteJSON(w, http.StatusOK, []byte(`{"user":`+strconv.Quote(name)+`}`))
}

func (f floor) logout(w http.ResponseWriter, r *http.Request) {
	if sid := id(r); sid != "" {
		if err := f.rdb.Del(r.Context(), keyPrefix+sid, keyPrefix+sid+":user").Err(); err != nil {
			peerapp.WriteJSON(w, http.StatusServiceUnavailable, peerapp.UnavailableBody)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Path: "/", MaxAge: -1}) //nolint:gosec // G124: a deletion; see newID
	w.WriteHeader(http.StatusNoContent)
}

// isNoSuchKey says whether err is RENAME's error for a missing key.
func isNoSuchKey(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.Contains(re.Error(), "no such key")
}
