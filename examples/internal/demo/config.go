package demo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	sessions "github.com/gosessions/sessions/core"
)

// Config is a program's configuration, read from the environment by
// LoadConfig.
type Config struct {
	Addr            string        // ADDR: listen address
	RedictURL       string        // REDICT_URL: the store; empty: embedded in-memory server
	Transport       string        // SESSION_TRANSPORT: "cookie" or "jwt"
	Secret          []byte        // SESSION_SECRET: cookie key; nil: random
	JWTKey          []byte        // SESSION_JWT_KEY: jwt mode's HS256 key; nil: random
	IdleTimeout     time.Duration // SESSION_IDLE_TIMEOUT
	AbsoluteTimeout time.Duration // SESSION_ABSOLUTE_TIMEOUT
	CookieSecure    bool          // SESSION_COOKIE_SECURE
	LocalCache      int           // SESSION_LOCAL_CACHE: StoreOptions.LocalCache (beyond the contract; 0: off)
}

// JWT reports whether the configured transport is jwt.
func (c Config) JWT() bool { return c.Transport == "jwt" }

// LoadConfig reads the configuration through getenv (os.Getenv in a
// program) and applies the contract's defaults. It reports every invalid
// variable at once, in one error; error texts never echo a key.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		Addr:            getenv("ADDR"),
		RedictURL:       getenv("REDICT_URL"),
		Transport:       getenv("SESSION_TRANSPORT"),
		IdleTimeout:     sessions.DefaultIdleTimeout,
		AbsoluteTimeout: sessions.DefaultAbsoluteTimeout,
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Transport == "" {
		cfg.Transport = "cookie"
	}
	var errs []error
	if cfg.Transport != "cookie" && cfg.Transport != "jwt" {
		errs = append(errs, fmt.Errorf("SESSION_TRANSPORT=%q: want cookie or jwt", cfg.Transport))
	}
	var err error
	if cfg.Secret, err = hexKey(getenv, "SESSION_SECRET", sessions.MinSecretLen, 0); err != nil {
		errs = append(errs, err)
	}
	if cfg.JWTKey, err = hexKey(getenv, "SESSION_JWT_KEY", 32, 32); err != nil {
		errs = append(errs, err)
	}
	if cfg.IdleTimeout, err = duration(getenv, "SESSION_IDLE_TIMEOUT", cfg.IdleTimeout); err != nil {
		errs = append(errs, err)
	}
	if cfg.AbsoluteTimeout, err = duration(getenv, "SESSION_ABSOLUTE_TIMEOUT", cfg.AbsoluteTimeout); err != nil {
		errs = append(errs, err)
	}
	if cfg.AbsoluteTimeout < cfg.IdleTimeout {
		errs = append(errs, errors.New("SESSION_ABSOLUTE_TIMEOUT must not be shorter than SESSION_IDLE_TIMEOUT"))
	}
	if v := getenv("SESSION_COOKIE_SECURE"); v != "" {
		if cfg.CookieSecure, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("SESSION_COOKIE_SECURE=%q: want true or false", v))
		}
	}
	if v := getenv("SESSION_LOCAL_CACHE"); v != "" {
		if cfg.LocalCache, err = strconv.Atoi(v); err != nil || cfg.LocalCache < 0 {
			errs = append(errs, fmt.Errorf("SESSION_LOCAL_CACHE=%q: want the number of sessions to cache, 0 for none", v))
		}
	}
	return cfg, errors.Join(errs...)
}

// hexKey decodes the hex key in the named variable; nil when it is unset.
// maxLen 0 means no upper bound.
func hexKey(getenv func(string) string, name string, minLen, maxLen int) ([]byte, error) {
	v := getenv(name)
	if v == "" {
		return nil, nil
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < minLen || (maxLen > 0 && len(key) > maxLen) {
		want := fmt.Sprintf("at least %d", 2*minLen)
		if minLen == maxLen {
			want = fmt.Sprintf("exactly %d", 2*minLen)
		}
		// The value is a secret: describe it, never echo it.
		return nil, fmt.Errorf("%s must be %s hex digits; make one with: openssl rand -hex %d", name, want, minLen)
	}
	return key, nil
}

// duration parses the positive Go duration in the named variable. It
// returns def when the variable is unset, and with the error when it is
// invalid.
func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s=%q: want a positive Go duration such as 30m or 24h", name, v)
	}
	return d, nil
}
