// Package wire is a counting TCP proxy for the Redis protocol: put it
// between a server and redis-server and it counts what crosses the wire,
// which INFO cannot (INFO commandstats also counts the commands a script
// runs inside the server).
//
// A round trip is a burst of bytes from the client after the server last
// spoke (or the first on a connection): one command, or one pipeline
// written at once, followed by its answers. Commands are the top-level
// RESP arrays (or inline lines) the clients send: an EVALSHA is one
// command however many the script runs.
package wire

import (
	"net"
	"sync"
	"sync/atomic"
)

// Counts is what crossed a proxy so far.
type Counts struct {
	RoundTrips  int64 // client bursts, each after an answer
	Commands    int64 // top-level commands sent by the clients
	Connections int64 // connections accepted
}

// Sub returns c - o.
func (c Counts) Sub(o Counts) Counts {
	return Counts{c.RoundTrips - o.RoundTrips, c.Commands - o.Commands, c.Connections - o.Connections}
}

// Proxy forwards every connection it accepts on a loopback port to one
// target address, counting as it goes.
type Proxy struct {
	ln     net.Listener
	target string

	roundTrips, commands, conns atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 (a free port) to target.
func Listen(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Counts returns what crossed so far.
func (p *Proxy) Counts() Counts {
	return Counts{p.roundTrips.Load(), p.commands.Load(), p.conns.Load()}
}

// Close stops accepting, closes every open connection and waits for the
// copying goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		_ = c.Close() // closing on purpose: the copies see it and end
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close() // too late: the proxy is closing
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	_ = c.Close() // the copy has ended; a second close reports only that
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close() // the target is down: the client sees its connection end
			continue
		}
		if !p.track(client) || !p.track(server) {
			_ = client.Close() // closing: track closed the other one or will be told
			_ = server.Close()
			continue
		}
		p.wg.Add(2)
		var lastClient atomic.Bool // the client spoke last: its bytes continue a burst
		go func() {                // client to server
			defer p.wg.Done()
			defer p.untrack(server)
			defer p.untrack(client)
			var parser Parser
			buf := make([]byte, 32<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 {
					if !lastClient.Swap(true) {
						p.roundTrips.Add(1)
					}
					p.commands.Add(int64(parser.Feed(buf[:n])))
					if _, werr := server.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server to client
			defer p.wg.Done()
			defer p.untrack(client)
			defer p.untrack(server)
			buf := make([]byte, 32<<10)
			for {
				n, err := server.Read(buf)
				if n > 0 {
					lastClient.Store(false)
					if _, werr := client.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}
