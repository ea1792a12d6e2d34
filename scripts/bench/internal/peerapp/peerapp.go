// Package peerapp holds what the peer servers share: their configuration
// from the environment (ADDR, REDICT_URL, as the demo contract says), the
// contract's JSON answers, and a net/http server that shuts down on
// SIGINT or SIGTERM.
package peerapp

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// IdleTimeout and AbsoluteTimeout are the demo contract's defaults, which
// every peer is configured with where its library has the setting.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 24 * time.Hour
)

// Secret is the fixed key of the peers whose cookies are signed: 32 bytes,
// the same on every run so a restart keeps the sessions readable.
var Secret = []byte("gosessions-bench-peer-secret-32b")

// Config is a peer's configuration.
type Config struct {
	Addr     string         // ADDR, default 127.0.0.1:8080
	RedisURL string         // REDICT_URL with a redict scheme spelled redis
	Redis    *redis.Options // REDICT_URL parsed
}

// FromEnv reads ADDR and REDICT_URL. A peer has no embedded store:
// REDICT_URL is required.
func FromEnv() (Config, error) {
	cfg := Config{Addr: os.Getenv("ADDR")}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	raw := os.Getenv("REDICT_URL")
	if raw == "" {
		return cfg, errors.New("peerapp: REDICT_URL is required (redis://127.0.0.1:PORT/0)")
	}
	switch {
	case strings.HasPrefix(raw, "redict://"):
		raw = "redis://" + strings.TrimPrefix(raw, "redict://")
	case strings.HasPrefix(raw, "redicts://"):
		raw = "rediss://" + strings.TrimPrefix(raw, "redicts://")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return cfg, fmt.Errorf("peerapp: REDICT_URL: %w", err)
	}
	cfg.RedisURL, cfg.Redis = raw, opts
	return cfg, nil
}

// Client returns a go-redis client for the configuration, with go-redis's
// default pool, after one PING.
func (c Config) Client() (*redis.Client, error) {
	rdb := redis.NewClient(c.Redis)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close() // the error that matters is the PING's
		return nil, fmt.Errorf("peerapp: store unavailable: %w", err)
	}
	return rdb, nil
}

// CountBody is the contract's answer to /api/count and /api/read.
func CountBody(n int64) []byte {
	b := make([]byte, 0, 24)
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '}')
}

// HealthBody is the answer to /health.
var HealthBody = []byte(`{"status":"ok"}`)

// UnavailableBody is the contract's answer to a store failure (503).
var UnavailableBody = []byte(`{"error":"session store unavailable"}`)

// WriteJSON writes status and body as application/json.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // fails only when the client has gone: nobody to tell
}

// Health is the /health handler of the net/http peers.
func Health(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, HealthBody)
}

// Serve serves h on cfg.Addr until SIGINT or SIGTERM, then shuts down.
func Serve(name string, cfg Config, h http.Handler) {
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	ServeWith(name, cfg, func() error { return srv.ListenAndServe() }, func(ctx context.Context) error { return srv.Shutdown(ctx) })
}

// ServeWith runs serve until SIGINT or SIGTERM, then calls shutdown: for
// the servers that are no http.Server (fiber).
func ServeWith(name string, cfg Config, serve func() error, shutdown func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	log.Printf("%s: listening on http://%s", name, cfg.Addr)
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("%s: %v", name, err)
		}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Printf("%s: shutdown: %v", name, err)
		}
	}
}

// Fatal logs err and exits with status 1.
func Fatal(name string, err error) {
	log.Printf("%s: %v", name, err)
	os.Exit(1)
}
