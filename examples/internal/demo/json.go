package demo

import (
	"encoding/json"
	"net/http"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// The JSON bodies of the contract's endpoints, so that every program
// answers the same bytes.
type (
	// Count is the body of GET /api/count and GET /api/read: {"count":N}.
	Count struct {
		Count int64 `json:"count"`
	}
	// User is the body of POST /api/login and GET /api/me: {"user":"NAME"}.
	User struct {
		User string `json:"user"`
	}
	// KV is the body of POST and GET /api/kv: {"k":"K","v":"V"}.
	KV struct {
		K string `json:"k"`
		V string `json:"v"`
	}
	// Destroyed is the body of POST /api/logout-all and POST
	// /api/sessions/revoke: {"destroyed":N}, the number of sessions ended.
	Destroyed struct {
		Destroyed int `json:"destroyed"`
	}
	// Sessions is the body of GET /api/sessions: the user's live
	// sessions, oldest first. Build it with SessionList.
	Sessions struct {
		Sessions []Session `json:"sessions"`
	}
	// Session is one of a user's live sessions, as GET /api/sessions and
	// the page show it. It holds no id and no token: Handle only names the
	// session for POST /api/sessions/revoke.
	Session struct {
		Handle   string    `json:"handle"`
		Current  bool      `json:"current"`   // the session of the request
		Created  time.Time `json:"created"`   // UTC, RFC 3339
		LastSeen time.Time `json:"last_seen"` // UTC, RFC 3339
		Label    string    `json:"label"`     // the User-Agent it logged in with
		Device   string    `json:"device"`    // DeviceName(Label): "Firefox on Linux"
	}
	// Health is the body of GET /health: {"status":"ok"}.
	Health struct {
		Status string `json:"status"`
	}
	// Error is the body of every error answer: {"error":"..."}.
	Error struct {
		Error string `json:"error"`
	}
)

// SessionList returns the body of GET /api/sessions for what
// Store.ListSessions returned, with the times in UTC and an empty list as
// [] rather than null.
func SessionList(infos []sessions.SessionInfo) Sessions {
	list := make([]Session, 0, len(infos))
	for _, in := range infos {
		list = append(list, Session{
			Handle:   in.Handle,
			Current:  in.Current,
			Created:  in.Created.UTC(),
			LastSeen: in.LastSeen.UTC(),
			Label:    in.Label,
			Device:   DeviceName(in.Label),
		})
	}
	return Sessions{Sessions: list}
}

// WriteJSON writes status and body as JSON, for net/http handlers
// (frameworks have their own, such as gin's c.JSON).
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the demo's own types encode; a failed write is a client gone
}

// WriteError writes status and the body {"error":msg}, for net/http
// handlers.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Error{Error: msg})
}
