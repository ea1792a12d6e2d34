package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	sessions "github.com/gosessions/sessions/core"
)

// OpenClient connects to cfg.RedictURL, or starts an embedded in-memory
// Redis-protocol server (miniredis) when it is empty and says so in one
// log line. It pings the store once: when that fails it logs a warning and
// returns the client anyway, as session requests answer 503 until the
// store is back. The returned func closes the client and the embedded
// server.
func OpenClient(ctx context.Context, cfg Config, log *slog.Logger) (sessions.Client, func(), error) {
	url, stopEmbedded := cfg.RedictURL, func() {}
	if url == "" {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true) // keys expire as time passes, so the idle timeout works
		if err := m.Start(); err != nil {
			return nil, nil, fmt.Errorf("embedded store: %w", err)
		}
		url, stopEmbedded = "redis://"+m.Addr(), m.Close
		log.Info("REDICT_URL is empty: started an embedded in-memory store (miniredis); sessions are lost when the program stops",
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
		log.Warn("the session store does not answer; session requests will get 503 until it does", "err", err)
	}
	return client, func() {
		if err := client.Close(); err != nil {
			log.Warn("closing the store's client", "err", err)
		}
		stopEmbedded()
	}, nil
}

// NewStore builds the session store for the configured transport: a
// cookie store (Secure only when cfg.CookieSecure, as the demo runs on
// plain http) or an HS256 JWT store. A key that is not configured is
// random, with a warning that sessions will not survive a restart.
func NewStore(cfg Config, client sessions.Client, log *slog.Logger) (*sessions.Store, error) {
	so := sessions.StoreOptions{
		IdleTimeout:     cfg.IdleTimeout,
		AbsoluteTimeout: cfg.AbsoluteTimeout,
		Logger:          log,
		LocalCache:      cfg.LocalCache,
	}
	switch cfg.Transport {
	case "cookie":
		secret := cfg.Secret
		if secret == nil {
			secret = make([]byte, sessions.MinSecretLen)
			rand.Read(secret)
			log.Warn("SESSION_SECRET is empty: using a random cookie key, so sessions will not survive a restart")
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
			log.Warn("SESSION_JWT_KEY is empty: using a random token key, so tokens will not survive a restart")
		}
		return sessions.NewJWTStore(client, so, sessions.JWTOptions{
			Keys: []sessions.JWTKey{{Secret: key}}, // HS256
		})
	}
	return nil, fmt.Errorf("SESSION_TRANSPORT=%q: want cookie or jwt", cfg.Transport)
}

// redisLogger sends go-redis's own log lines (such as failed dials while the
// store is down) to the program's log.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
