package sessions

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied to zero fields of StoreOptions.
const (
	DefaultKeyPrefix       = "session:"
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 24 * time.Hour
	DefaultMaxSize         = 64 << 10
	DefaultTimeout         = 2 * time.Second
)

// StoreOptions configures the server-side part of a Store. The zero value of
// every field means the documented default.
type StoreOptions struct {
	// KeyPrefix starts every Redict key the store writes. Default "session:".
	KeyPrefix string

	// IdleTimeout ends a session that is not used for this long; every use
	// refreshes it (rolling expiry). Default 30 minutes.
	IdleTimeout time.Duration

	// AbsoluteTimeout ends a session this long after it was created, however
	// active it is. Renew keeps the deadline. Default 24 hours; it may not be
	// shorter than IdleTimeout.
	AbsoluteTimeout time.Duration

	// MaxSize caps the stored session data in bytes (key names plus encoded
	// values); a save that would pass it fails with ErrTooLarge.
	// Default 64 KiB.
	MaxSize int

	// Timeout bounds every store operation; past it the operation fails with
	// ErrUnavailable. Default 2 seconds. A client made by NewClient also
	// honours it on the socket; other clients should set
	// ContextTimeoutEnabled or keep their read timeout short.
	Timeout time.Duration

	// Codec encodes session values. Default JSONCodec.
	Codec Codec

	// Logger receives what the store cannot return to a caller: a failed
	// save of changes made after the response was committed. Default
	// slog.Default() (at the time of logging). No log line holds an id,
	// a token or a stored value.
	Logger *slog.Logger
}

// withDefaults returns o with defaults applied, or an error for invalid
// combinations.
func (o StoreOptions) withDefaults() (StoreOptions, error) {
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.AbsoluteTimeout == 0 {
		o.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Codec == nil {
		o.Codec = JSONCodec{}
	}
	switch {
	case o.IdleTimeout < time.Millisecond:
		return o, fmt.Errorf("%w: IdleTimeout must be at least 1ms", ErrInvalidOptions)
	case o.AbsoluteTimeout < o.IdleTimeout:
		return o, fmt.Errorf("%w: AbsoluteTimeout must not be shorter than IdleTimeout", ErrInvalidOptions)
	case o.MaxSize < 0:
		return o, fmt.Errorf("%w: MaxSize must not be negative", ErrInvalidOptions)
	case o.Timeout < 0:
		return o, fmt.Errorf("%w: Timeout must not be negative", ErrInvalidOptions)
	}
	return o, nil
}
