package demo

import (
	"errors"
	"net/http"

	sessions "github.com/gosessions/sessions/core"
)

// ErrorAnswer returns the status and the message of the {"error":...}
// answer to a session error, the same on every program:
//
//   - 409 for a stored value that does not fit what the endpoint reads it
//     as (sessions.ErrNotInteger or sessions.ErrOutOfRange from Incr,
//     sessions.ErrDecode from Get), such as a count that POST /api/kv set
//     to "abc": only the client's own writes put it there, and client
//     input never causes a 5xx;
//   - otherwise sessions.ErrorStatus and sessions.ErrorMessage: 503
//     "session store unavailable" when the store is down or slow (a live
//     session never reads as empty), 413 for a session grown too large,
//     500 "session error" for anything else (a bug of the program).
//
// The message never quotes the error, whose text may name a key (keys
// come from the client here).
func ErrorAnswer(err error) (status int, msg string) {
	switch {
	case errors.Is(err, sessions.ErrNotInteger), errors.Is(err, sessions.ErrOutOfRange):
		return http.StatusConflict, "the stored value is not a counter"
	case errors.Is(err, sessions.ErrDecode):
		return http.StatusConflict, "the stored value does not have the type this endpoint reads"
	}
	return sessions.ErrorStatus(err), sessions.ErrorMessage(err)
}
