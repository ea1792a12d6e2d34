package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// newSecret returns a SESSION_SECRET for our programs: 32 random bytes in
// hex, one per run (every server of the run gets it; no session outlives
// the run, whose databases are flushed).
func newSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// newAdmin connects the driver's own client (never through the proxy).
func newAdmin(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.PoolSize = 2
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close() // the error that matters is the PING's
		return nil, fmt.Errorf("the redis-server does not answer: %w", err)
	}
	return rdb, nil
}

// proc is one running server.
type proc struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	exit chan error
	log  *os.File
	once sync.Once
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startServer runs s with its store at redictURL and waits until its
// /health answers 200.
func startServer(ctx context.Context, cfg config, s spec, redictURL string) (*proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(cfg.logs, s.Name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.Bin)
	cmd.Env = append(cleanEnv(), "ADDR="+addr, "REDICT_URL="+redictURL, "SESSION_SECRET="+cfg.secret)
	cmd.Env = append(cmd.Env, s.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, logf.Close())
	}
	p := &proc{cmd: cmd, base: "http://" + addr, exit: make(chan error, 1), log: logf}
	go func() { p.exit <- cmd.Wait() }()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-p.exit:
			return nil, errors.Join(fmt.Errorf("exited before answering /health (%v); see %s", err, logf.Name()), logf.Close())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(30 * time.Millisecond):
		}
		resp, err := client.Get(p.base + "/health")
		if err == nil {
			_ = resp.Body.Close() // unread: /health's answer is its status
			if resp.StatusCode == http.StatusOK {
				client.CloseIdleConnections()
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("/health did not answer 200 in 20s; see %s", logf.Name())
		}
	}
}

// stop sends SIGTERM, waits up to 5 s for a graceful exit, then kills;
// once, however often it is called. A server that does not exit cleanly
// (status 0 after SIGTERM) is logged, with where its output is.
func (p *proc) stop() { p.once.Do(p.doStop) }

func (p *proc) doStop() {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		_ = p.cmd.Process.Kill() // fails only when it has exited already; Wait tells
	}
	var err error
	select {
	case err = <-p.exit:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill() // as above
		err = fmt.Errorf("killed after 5s without exiting on SIGTERM: %w", <-p.exit)
	}
	if err != nil {
		log.Printf("%s exited: %v (its output: %s)", p.cmd.Path, err, p.log.Name())
	}
	if err := p.log.Close(); err != nil {
		log.Printf("%v", err)
	}
}

// cleanEnv is the driver's environment without the variables the
// programs read, so that each gets exactly the configuration of the run
// (cookie transport, default timeouts, gin in release mode).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "ADDR" || name == "REDICT_URL" || name == "GIN_MODE" || strings.HasPrefix(name, "SESSION_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
