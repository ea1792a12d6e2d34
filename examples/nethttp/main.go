// Command nethttp is the gosessions demo app on plain net/http: it serves
// the demo contract shared by every example (a counter, login, logout and a
// small key-value API on the session), with sessions.Middleware, in either
// transport: cookie mode (the default; the page is rendered on the server)
// or jwt mode (no cookies: the token travels in the Session-Token header,
// and the page is static, its script keeping the token in sessionStorage).
//
// Run it from the repository root (the go.work workspace):
//
//	go run ./examples/nethttp
//
// or from examples/ with "go run ./nethttp", then open
// http://127.0.0.1:8080. It needs no other setup: without REDICT_URL it
// starts an embedded in-memory Redis-protocol server (miniredis). For
// example, against a real server with a fixed key:
//
//	REDICT_URL=redis://127.0.0.1:6379/0 SESSION_SECRET=$(openssl rand -hex 32) go run ./examples/nethttp
//
// or in jwt mode:
//
//	SESSION_TRANSPORT=jwt SESSION_JWT_KEY=$(openssl rand -hex 32) go run ./examples/nethttp
//
// Configuration comes from the environment:
//
//	ADDR                      listen address (127.0.0.1:8080)
//	REDICT_URL                redis://, rediss://, redict:// or redicts:// URL of
//	                          the store (empty: embedded in-memory server)
//	SESSION_SECRET            cookie key, hex, at least 32 bytes (empty: random,
//	                          so sessions do not survive a restart)
//	SESSION_TRANSPORT         cookie (default) or jwt
//	SESSION_JWT_KEY           jwt mode: HS256 key, hex, exactly 32 bytes (empty:
//	                          random, so tokens do not survive a restart)
//	SESSION_IDLE_TIMEOUT      idle timeout, Go duration (30m)
//	SESSION_ABSOLUTE_TIMEOUT  absolute lifetime, Go duration (24h)
//	SESSION_COOKIE_SECURE     true sets the cookie's Secure attribute (false,
//	                          as the demo runs on plain http)
//
// SIGINT or SIGTERM shuts the server down gracefully.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	sessions "github.com/gosessions/sessions/core"
	"github.com/redis/go-redis/v9"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process at once.
	context.AfterFunc(ctx, stop)

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	redis.SetLogger(redisLogger{logger})
	if err := run(ctx, logger, os.Getenv); err != nil {
		fmt.Fprintf(os.Stderr, "nethttp: %v\n", err)
		os.Exit(1)
	}
}

// config is the app's configuration, read from the environment.
type config struct {
	Addr            string
	RedictURL       string // empty: embedded in-memory server
	Transport       string // "cookie" or "jwt"
	Secret          []byte // cookie key; nil: random
	JWTKey          []byte // jwt mode's HS256 key; nil: random
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	CookieSecure    bool
}

// loadConfig reads the configuration and reports every invalid variable at
// once. Error texts never echo a key.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
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

// run starts the app and serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, logger *slog.Logger, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	client, closeClient, err := openClient(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer closeClient()
	store, err := newStore(cfg, client, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           routes(store, cfg.Transport == "jwt", logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String(), "transport", cfg.Transport)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// openClient connects to REDICT_URL, or starts an embedded in-memory server
// when it is empty. The returned func closes the client and the server.
func openClient(ctx context.Context, cfg config, logger *slog.Logger) (redis.UniversalClient, func(), error) {
	url, stopEmbedded := cfg.RedictURL, func() {}
	if url == "" {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true) // keys expire as time passes, so the idle timeout works
		if err := m.Start(); err != nil {
			return nil, nil, fmt.Errorf("embedded store: %w", err)
		}
		url, stopEmbedded = "redis://"+m.Addr(), m.Close
		logger.Info("REDICT_URL is empty: started an embedded in-memory store (miniredis); sessions are lost when the program stops",
			"addr", m.Addr())
	}
	client, err := sessions.NewClient(url)
	if err != nil {
		stopEmbedded()
		return nil, nil, fmt.Errorf("REDICT_URL: %w", err) // the error does not echo the URL
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		// Serve anyway: session requests answer 503 until the store is back.
		logger.Warn("the session store does not answer; session requests will get 503 until it does", "err", err)
	}
	return client, func() { client.Close(); stopEmbedded() }, nil
}

// newStore builds the session store for the configured transport.
func newStore(cfg config, client redis.UniversalClient, logger *slog.Logger) (*sessions.Store, error) {
	so := sessions.StoreOptions{
		IdleTimeout:     cfg.IdleTimeout,
		AbsoluteTimeout: cfg.AbsoluteTimeout,
	}
	switch cfg.Transport {
	case "cookie":
		secret := cfg.Secret
		if secret == nil {
			secret = make([]byte, sessions.MinSecretLen)
			rand.Read(secret)
			logger.Warn("SESSION_SECRET is empty: using a random cookie key, so sessions will not survive a restart")
		}
		return sessions.NewCookieStore(client, so, sessions.CookieOptions{
			Secrets:       [][]byte{secret},
			DisableSecure: !cfg.CookieSecure,
		})
	case "jwt":
		key := cfg.JWTKey
		if key == nil {
			key = make([]byte, 32)
			rand.Read(key)
			logger.Warn("SESSION_JWT_KEY is empty: using a random token key, so tokens will not survive a restart")
		}
		return sessions.NewJWTStore(client, so, sessions.JWTOptions{
			Keys: []sessions.JWTKey{{Secret: key}}, // HS256
		})
	}
	return nil, fmt.Errorf("SESSION_TRANSPORT=%q: want cookie or jwt", cfg.Transport)
}

// redisLogger sends go-redis's own log lines (such as failed dials while the
// store is down) to the app's log.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
