package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sessions "github.com/gosessions/sessions/core"
	"github.com/redis/go-redis/v9"
)

// App is what a program gets to build its server from.
type App struct {
	// Store is the session store for the configured transport.
	Store *sessions.Store
	// JWT says Store is a JWT store: GET / is then the static page
	// (StaticPage), whose script carries the token.
	JWT bool
	// Log is the program's log; it also receives go-redis's own lines.
	Log *slog.Logger
}

// Server is a program's server as Run drives it: *http.Server has both
// methods (so does any router wrapped in one); a framework with a server of
// its own, such as fiber, needs a two-method wrapper. Serve serves ln until
// Shutdown is called; it may then return nil or http.ErrServerClosed.
// Shutdown stops accepting connections and waits for the requests in
// flight, until ctx ends.
type Server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
}

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 10 * time.Second

// Main runs a program: it reads the configuration from the environment,
// logs to stderr, and calls Run until SIGINT or SIGTERM (a second signal
// kills the process at once). On error it prints "name: error" to stderr
// and exits with status 1.
func Main(name string, newServer func(App) (Server, error)) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process at once.
	context.AfterFunc(ctx, stop)

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	redis.SetLogger(redisLogger{log})
	cfg, err := LoadConfig(os.Getenv)
	if err == nil {
		err = Run(ctx, cfg, log, newServer)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Run opens the store (OpenClient, NewStore), builds the program's server
// with newServer, listens on cfg.Addr and logs one line saying where to
// open the page, then serves until ctx ends and shuts down gracefully.
func Run(ctx context.Context, cfg Config, log *slog.Logger, newServer func(App) (Server, error)) error {
	client, closeClient, err := OpenClient(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeClient()
	store, err := NewStore(cfg, client, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Warn("closing the session store", "err", err)
		}
	}()
	srv, err := newServer(App{Store: store, JWT: cfg.JWT(), Log: log})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	u := pageURL(ln.Addr())
	log.Info("open "+u+" in a browser", "url", u, "transport", cfg.Transport)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			err = errors.New("stopped serving before the shutdown")
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	case <-shutdownCtx.Done():
		return errors.New("shutdown: the server did not stop serving")
	}
	log.Info("stopped")
	return nil
}

// pageURL is the address a browser opens for a server listening on addr:
// a wildcard address (":8080") is reached through localhost.
func pageURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
