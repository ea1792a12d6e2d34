package demo

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// env returns a getenv that reads the given variables only.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:8080", Transport: "cookie", IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 24 * time.Hour}
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("defaults %+v, want %+v", cfg, want)
	}
	if cfg.JWT() {
		t.Error("JWT() in cookie mode")
	}
}

func TestLoadConfigValues(t *testing.T) {
	secret := strings.Repeat("ab", 40)
	key := strings.Repeat("cd", 32)
	cfg, err := LoadConfig(env("ADDR=127.0.0.1:0", "REDICT_URL=redis://127.0.0.1:1/0", "SESSION_TRANSPORT=jwt",
		"SESSION_SECRET="+secret, "SESSION_JWT_KEY="+key, "SESSION_IDLE_TIMEOUT=5m",
		"SESSION_ABSOLUTE_TIMEOUT=1h", "SESSION_COOKIE_SECURE=true", "SESSION_LOCAL_CACHE=500"))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case cfg.Addr != "127.0.0.1:0", cfg.RedictURL != "redis://127.0.0.1:1/0", !cfg.JWT(),
		len(cfg.Secret) != 40, len(cfg.JWTKey) != 32, cfg.JWTKey[0] != 0xcd,
		cfg.IdleTimeout != 5*time.Minute, cfg.AbsoluteTimeout != time.Hour, !cfg.CookieSecure, cfg.LocalCache != 500:
		t.Errorf("config %+v does not hold the environment's values", cfg)
	}
}

// TestLoadConfigErrors checks that every invalid variable is reported, in
// one error, without the value of a key.
func TestLoadConfigErrors(t *testing.T) {
	badSecret := strings.Repeat("9f", 20) // hex, but 20 bytes
	badKey := strings.Repeat("7e", 33)    // hex, but 33 bytes
	_, err := LoadConfig(env("SESSION_TRANSPORT=pigeon", "SESSION_SECRET="+badSecret, "SESSION_JWT_KEY="+badKey,
		"SESSION_IDLE_TIMEOUT=soon", "SESSION_ABSOLUTE_TIMEOUT=0s", "SESSION_COOKIE_SECURE=maybe", "SESSION_LOCAL_CACHE=-1"))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"SESSION_TRANSPORT", "SESSION_SECRET", "SESSION_JWT_KEY", "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT", "SESSION_COOKIE_SECURE", "SESSION_LOCAL_CACHE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %s:\n%s", want, msg)
		}
	}
	for _, secret := range []string{badSecret, badKey} {
		if strings.Contains(msg, secret) {
			t.Errorf("error echoes a key:\n%s", msg)
		}
	}
}
