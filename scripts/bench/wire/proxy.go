// Package wire is a counting, optionally delaying TCP proxy for the Redis
// protocol: put it between a server and redis-server and it counts what
// crosses the wire, which INFO cannot (INFO commandstats also counts the
// commands a script runs inside the server), and with Options.Delay it
// holds every reply as a network would.
//
// A round trip is a burst of bytes from the client after the server last
// spoke to it (or the first on a connection): one command, or one
// pipeline written at once, followed by its answers. Commands are the
// top-level RESP arrays (or inline lines) the clients send: an EVALSHA is
// one command however many the script runs.
package wire

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
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

// Options configure a Proxy. The zero value forwards at once.
type Options struct {
	// Delay holds every chunk of the server's replies this long: a chunk
	// read from the server at t is written to the client at t+Delay (as
	// closely as the machine allows; see Proxy.Holds), in the order read.
	// Chunks do not wait for each other: replies to a pipeline, or to
	// several connections at once, each arrive Delay after they left,
	// not one Delay after another. The client's bytes are never held, so
	// a request and its answer take Delay more than on loopback, as on a
	// network whose round trip is Delay longer.
	Delay time.Duration
}

// Proxy forwards every connection it accepts on a loopback port to one
// target address, counting as it goes.
type Proxy struct {
	ln     net.Listener
	target string
	delay  *delayer // nil: no delay

	roundTrips, commands, conns atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 (a free port) to target, without
// delay.
func Listen(target string) (*Proxy, error) { return ListenOptions(target, Options{}) }

// ListenOptions starts a proxy on 127.0.0.1 (a free port) to target.
func ListenOptions(target string, o Options) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, open: map[net.Conn]struct{}{}}
	if o.Delay > 0 {
		p.delay = newDelayer(o.Delay, time.Now, preciseSleep)
	}
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

// Holds returns how long the chunks of replies were held so far, from
// their read to their write: Delay plus what the machine added (timer
// slack, scheduling). Empty without a delay.
func (p *Proxy) Holds() Holds {
	if p.delay == nil {
		return Holds{}
	}
	return p.delay.holds.snapshot()
}

// Close stops accepting, closes every open connection and waits for the
// copying goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		_ = c.Close() // on purpose: the copies see it and end
	}
	p.mu.Unlock()
	p.wg.Wait()
	if p.delay != nil {
		p.delay.stop()
	}
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.open[c] = struct{}{}
	return true
}

// untrack closes c, once it is done with.
func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	_ = c.Close() // done with; a second close only says so
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
			p.untrack(client) // the proxy is closing
			p.untrack(server)
			continue
		}
		p.wg.Add(2)
		c := &conn{p: p, client: client, server: server}
		go c.up()
		go c.down()
	}
}

// conn is one proxied connection.
type conn struct {
	p              *Proxy
	client, server net.Conn
	lastClient     atomic.Bool // the client spoke last: its bytes continue a burst
}

// up copies the client's bytes to the server, counting.
func (c *conn) up() {
	defer c.p.wg.Done()
	defer c.p.untrack(c.server)
	defer c.p.untrack(c.client)
	var parser Parser
	buf := make([]byte, 32<<10)
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			if !c.lastClient.Swap(true) {
				c.p.roundTrips.Add(1)
			}
			c.p.commands.Add(int64(parser.Feed(buf[:n])))
			if _, werr := c.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// down copies the server's bytes to the client, through the delayer when
// there is one.
func (c *conn) down() {
	defer c.p.wg.Done()
	if d := c.p.delay; d != nil {
		c.downDelayed(d)
		return
	}
	defer c.p.untrack(c.client)
	defer c.p.untrack(c.server)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			c.lastClient.Store(false)
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// downDelayed queues each chunk the server sends, stamped with the time
// it was read; the delayer writes it to the client when it is due. When
// the server's side ends, the client's is closed once the chunks before
// have been written.
func (c *conn) downDelayed(d *delayer) {
	defer c.p.untrack(c.server)
	for {
		buf := getBuf()
		n, err := c.server.Read(*buf)
		if n > 0 {
			d.push(chunk{buf: buf, n: n, read: d.now(), c: c})
		} else {
			putBuf(buf)
		}
		if err != nil {
			d.push(chunk{read: d.now(), c: c, end: true})
			return
		}
	}
}

// deliver writes a due chunk to the client (the delayer's goroutine).
func (c *conn) deliver(b []byte) {
	c.lastClient.Store(false)
	if _, err := c.client.Write(b); err != nil {
		// The client has gone: end the server's side too, so that its
		// reader stops queueing.
		_ = c.server.Close() // untrack closes it again, harmlessly
	}
}
