package demo

import (
	"encoding/json"
	"net/http"
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
	// Health is the body of GET /health: {"status":"ok"}.
	Health struct {
		Status string `json:"status"`
	}
	// Error is the body of every error answer: {"error":"..."}.
	Error struct {
		Error string `json:"error"`
	}
)

// WriteJSON writes status and body as JSON, for net/http handlers
// (frameworks have their own, such as gin's c.JSON).
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// WriteError writes status and the body {"error":msg}, for net/http
// handlers.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Error{Error: msg})
}
