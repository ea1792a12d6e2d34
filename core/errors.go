package sessions

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these with %w
// and add context; match them with errors.Is. No error text ever contains a
// session id, a token, a cookie, a store key, a credential or a stored
// value. Errors about one session key name that key (keys are the app's
// own names; an app whose keys come from user input should treat error
// texts as such).
var (
	// ErrUnavailable reports that the session store could not be reached or
	// did not answer in time. HTTP apps should answer 503.
	ErrUnavailable = errors.New("sessions: store unavailable")

	// ErrTooLarge reports that a save would make the stored session larger
	// than StoreOptions.MaxSize.
	ErrTooLarge = errors.New("sessions: session too large")

	// ErrNotInteger reports that Incr was called on a key whose value is not
	// an integer.
	ErrNotInteger = errors.New("sessions: value is not an integer")

	// ErrOutOfRange reports that Incr would take an integer out of the
	// int64 range (within 0.2% of its ends).
	ErrOutOfRange = errors.New("sessions: integer out of range")

	// ErrCommitted reports a change that needs a new token (Renew, or a
	// write that would start a session) made after the response was
	// committed: the token could no longer reach the client.
	ErrCommitted = errors.New("sessions: response already committed")

	// ErrDecode reports that a stored value could not be decoded into the
	// requested type.
	ErrDecode = errors.New("sessions: cannot decode value")

	// ErrEncode reports that a value could not be encoded by the codec.
	ErrEncode = errors.New("sessions: cannot encode value")

	// ErrNoSession reports that no session is attached to the request
	// (the middleware is missing) or that a nil *Session was used.
	ErrNoSession = errors.New("sessions: no session in context")

	// ErrIncompatibleRecord reports a stored record written in a format
	// this version does not read (a newer library version wrote it).
	ErrIncompatibleRecord = errors.New("sessions: incompatible stored record")

	// ErrInvalidOptions reports a configuration refused by a constructor.
	ErrInvalidOptions = errors.New("sessions: invalid options")

	// ErrInvalidKey reports a session key the API refuses: the empty
	// string.
	ErrInvalidKey = errors.New("sessions: invalid key")

	// ErrLocked reports that Session.Lock waited StoreOptions.LockWait
	// while another request of the session held its lock. HTTP apps
	// should answer 423.
	ErrLocked = errors.New("sessions: session locked by another request")

	// ErrTooManySessions reports a BindUser refused because the user has
	// StoreOptions.MaxSessionsPerUser sessions already and
	// StoreOptions.RefuseOverCap is set. HTTP apps should answer 409.
	ErrTooManySessions = errors.New("sessions: too many sessions for the user")

	// ErrNoUser reports a step that needs a user bound to the session
	// (Session.Reauthenticated) on a session bound to none.
	ErrNoUser = errors.New("sessions: no user bound to the session")

	// ErrConflict reports an optimistic save whose session was changed by
	// another request since this one read it.
	ErrConflict = errors.New("sessions: session changed concurrently")
)

// sessionErrors lists every sentinel above; IsSessionError matches them.
// (TestIsSessionErrorCoversErrorsGo reads this file, so that a sentinel
// added above and not here fails.)
var sessionErrors = []error{
	ErrUnavailable, ErrTooLarge, ErrNotInteger, ErrOutOfRange, ErrCommitted,
	ErrDecode, ErrEncode, ErrNoSession, ErrIncompatibleRecord, ErrInvalidOptions,
	ErrInvalidKey, ErrLocked, ErrTooManySessions, ErrNoUser, ErrConflict,
}

// IsSessionError reports whether err is, or wraps, one of this package's
// sentinel errors (errors.Is, so it sees through fmt.Errorf's %w and a
// framework error that unwraps to it). Integrations answer such an error,
// when a handler returns it, as they answer a store failure: status
// ErrorStatus(err), body ErrorBody(err); other errors go to the
// framework's own error handling.
func IsSessionError(err error) bool {
	if err == nil {
		return false
	}
	for _, sentinel := range sessionErrors {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}
