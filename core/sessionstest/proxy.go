package sessionstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// setupCommands are the commands a client sends to set up or check a
// connection. They are not counted as session work.
var setupCommands = map[string]bool{
	"HELLO": true, "CLIENT": true, "SELECT": true, "AUTH": true,
	"PING": true, "QUIT": true, "RESET": true, "READONLY": true,
	"CLUSTER": true, "ASKING": true, "ROLE": true, "COMMAND": true,
	"SUBSCRIBE": true, "UNSUBSCRIBE": true, // a LocalCache's invalidation stream
}

// proxyMode is what the proxy does with traffic.
type proxyMode int

const (
	proxyUp    proxyMode = iota // forward everything
	proxyCut                    // close every connection, refuse new ones
	proxyStall                  // keep connections, forward nothing
)

// proxy is a loopback TCP proxy in front of the store's servers, one per
// store: a listener (a leg) per server it reaches, made on demand (a
// Cluster's nodes, a Sentinel-managed primary and replica). It records the
// name of every command a client sends through it, before forwarding it (so
// a command is recorded before its reply can exist), and can cut or stall
// the traffic to simulate a store failure.
type proxy struct {
	t        testing.TB
	e        *env
	id       string
	upstream string // the first leg's server ("" for none: Sentinel)

	mu     sync.Mutex
	legs   map[string]net.Listener // by upstream host:port
	bypass map[string]bool         // servers dialled directly (Sentinels)
	mode   proxyMode
	closed bool
	pairs  map[*pair]struct{}
	cmds   []string      // session commands since the last reset
	lose   bool          // lose the reply to the next session command
	hold   chan struct{} // with lose: hold that reply until this is closed
	delay  chan struct{} // hold a session command until this is closed
	skip   int           // with delay: the commands to let pass first
	every  bool          // with delay: hold every command past skip, not one
}

// pair is one proxied connection.
type pair struct {
	client, server net.Conn
	tainted        bool          // bytes were dropped while stalled: the stream is broken
	loseReply      bool          // drop the connection instead of the next reply
	held           chan struct{} // with loseReply: wait for it to close first
	delayed        chan struct{} // forward the client's bytes once this is closed
	done           chan struct{} // closed with the pair
	last           string        // the last command's name
	once           sync.Once
}

func (pr *pair) close() {
	pr.once.Do(func() {
		close(pr.done)
		_ = pr.client.Close() // cutting: errors of a closed pair do not matter
		_ = pr.server.Close()
	})
}

// startProxy starts a proxy to upstream (host:port) on 127.0.0.1 and
// stops it when t ends.
func startProxy(t testing.TB, e *env) *proxy {
	t.Helper()
	p := &proxy{t: t, e: e, upstream: e.addr, legs: map[string]net.Listener{}, bypass: map[string]bool{},
		pairs: make(map[*pair]struct{})}
	for _, a := range e.sentinels {
		p.bypass[a] = true
	}
	t.Cleanup(p.close)
	if p.upstream != "" {
		p.addrFor(p.upstream)
	}
	p.id = rand.Text()
	proxies.Store(p.id, p)
	t.Cleanup(func() { proxies.Delete(p.id) })
	return p
}

// proxies are the live proxies by id, for newClient.
var proxies sync.Map

// url names the store through p for the kit's newClient, with extra
// query parameters (go-redis options) for the client.
func (p *proxy) url(query string) string { return proxyScheme + p.id + "?" + query }

// proxyScheme starts the kit's own store URLs: through a proxy of the kit.
const proxyScheme = "sessionstest://"

// addrFor returns the host:port of the leg to upstream, opening it when
// it is new.
func (p *proxy) addrFor(upstream string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ln, ok := p.legs[upstream]; ok {
		return ln.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.t.Errorf("sessionstest: proxy: %v", err)
		return upstream
	}
	if p.closed {
		_ = ln.Close() // shutting down
	}
	p.legs[upstream] = ln
	go p.serve(ln, upstream)
	return ln.Addr().String()
}

// dial is a go-redis Dialer that reaches the store's servers through the
// proxy (the Sentinels directly).
func (p *proxy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	p.mu.Lock()
	direct := p.bypass[addr]
	p.mu.Unlock()
	if !direct {
		addr = p.addrFor(addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func (p *proxy) serve(ln net.Listener, upstream string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c, upstream)
	}
}

func (p *proxy) handle(c net.Conn, upstream string) {
	if !p.accepting() {
		_ = c.Close() // refused: the client sees the close
		return
	}
	s, err := net.DialTimeout("tcp", upstream, 5*time.Second)
	if err != nil {
		_ = c.Close() // refused: the client sees the close
		return
	}
	pr := &pair{client: c, server: s, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed || p.mode == proxyCut {
		p.mu.Unlock()
		pr.close()
		return
	}
	p.pairs[pr] = struct{}{}
	p.mu.Unlock()
	go p.pump(pr, s, c, nil)
	sc := &respScanner{onCommand: func(name string) { p.record(pr, name) }}
	p.pump(pr, c, s, sc)
}

func (p *proxy) accepting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.mode != proxyCut
}

// pump copies src to dst until either fails, scanning the bytes with sc
// (when not nil) before forwarding them.
func (p *proxy) pump(pr *pair, src, dst net.Conn, sc *respScanner) {
	defer p.drop(pr)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if sc != nil {
				sc.feed(buf[:n])
				if d := p.takeDelay(pr); d != nil {
					select {
					case <-d:
					case <-pr.done:
						return
					}
				}
			}
			if sc == nil && p.losing(pr) {
				if pr.held != nil {
					select {
					case <-pr.held:
					case <-pr.done:
					}
				}
				return
			}
			if p.forwarding(pr) {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// forwarding reports whether bytes may pass; while stalled it marks pr as
// broken instead.
func (p *proxy) forwarding(pr *pair) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == proxyStall {
		pr.tainted = true
		return false
	}
	return true
}

// loseNextReply makes the proxy lose the reply to the next session
// command and close that connection, as a network failure after the
// server has run a command but before its client has the reply.
func (p *proxy) loseNextReply() {
	p.mu.Lock()
	p.lose = true
	p.mu.Unlock()
}

// delayNextCommand holds the next session command (and whatever the
// client sends with it) before the server, until release is called; then
// it goes on. It stages a slow request whose write reaches the store after
// another request's.
func (p *proxy) delayNextCommand() (release func()) { return p.delayCommand(0) }

// delayCommand is delayNextCommand for the session command after the next
// skip ones.
func (p *proxy) delayCommand(skip int) (release func()) { return p.delaying(skip, false) }

// delayCommands holds every session command after the next skip ones, on
// every connection and server, until release is called.
func (p *proxy) delayCommands(skip int) (release func()) { return p.delaying(skip, true) }

func (p *proxy) delaying(skip int, every bool) (release func()) {
	ch := make(chan struct{})
	p.mu.Lock()
	p.delay, p.skip, p.every = ch, skip, every
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.delay == ch {
				p.delay = nil
			}
			p.mu.Unlock()
			close(ch)
		})
	}
}

// takeDelay returns, once, the delay marked on pr by its last command.
func (p *proxy) takeDelay(pr *pair) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := pr.delayed
	pr.delayed = nil
	return d
}

// holdNextReply holds the reply to the next session command, while the
// server has run it, until release is called; then the reply is lost and
// that connection closed. It stages a reply that comes back after the
// client gave up, or a lost reply whose retry comes after other commands.
func (p *proxy) holdNextReply() (release func()) {
	ch := make(chan struct{})
	p.mu.Lock()
	p.lose, p.hold = true, ch
	p.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// losing reports whether the reply now arriving on pr is to be lost.
func (p *proxy) losing(pr *pair) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pr.loseReply
}

func (p *proxy) drop(pr *pair) {
	pr.close()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

func (p *proxy) record(pr *pair, name string) {
	if setupCommands[name] {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cmds = append(p.cmds, name)
	fallback := name == "EVAL" && pr.last == "EVALSHA"
	pr.last = name
	if fallback {
		// The EVAL go-redis sends when the server lacked the script:
		// the same command, already counted for the faults below.
		return
	}
	if p.lose {
		p.lose, pr.loseReply, pr.held, p.hold = false, true, p.hold, nil
	}
	if p.delay != nil {
		if p.skip > 0 {
			p.skip--
		} else {
			pr.delayed = p.delay
			if !p.every {
				p.delay = nil
			}
		}
	}
}

// reset forgets the commands recorded so far.
func (p *proxy) reset() {
	p.mu.Lock()
	p.cmds = nil
	p.mu.Unlock()
}

// commands returns the names of the session commands since the last
// reset, in order.
func (p *proxy) commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return warmCommands(p.cmds)
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	p.mode = proxyCut
	prs := p.takePairs(func(*pair) bool { return true })
	p.mu.Unlock()
	for _, pr := range prs {
		pr.close()
	}
}

// stall keeps connections open, and accepts new ones, but forwards
// nothing in either direction until restore, so clients time out.
func (p *proxy) stall() {
	p.mu.Lock()
	p.mode = proxyStall
	p.mu.Unlock()
}

// restore forwards traffic again. Connections that lost bytes while
// stalled are closed, as their streams no longer line up.
func (p *proxy) restore() {
	p.mu.Lock()
	p.mode = proxyUp
	prs := p.takePairs(func(pr *pair) bool { return pr.tainted })
	p.mu.Unlock()
	for _, pr := range prs {
		pr.close()
	}
}

// takePairs removes and returns the pairs that match; p.mu is held.
func (p *proxy) takePairs(match func(*pair) bool) []*pair {
	var out []*pair
	for pr := range p.pairs {
		if match(pr) {
			out = append(out, pr)
			delete(p.pairs, pr)
		}
	}
	return out
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	prs := p.takePairs(func(*pair) bool { return true })
	for _, ln := range p.legs {
		_ = ln.Close() // shutting down
	}
	p.mu.Unlock()
	for _, pr := range prs {
		pr.close()
	}
}

// respScanner follows a stream of RESP requests (arrays of bulk strings,
// or inline commands) fed to it in arbitrary pieces, and reports the name
// of each command as soon as that name has been read.
type respScanner struct {
	onCommand func(name string)

	st      scanState
	line    []byte // the header line read so far
	args    int    // arguments left in the current command
	first   bool   // the current bulk string is the command name
	need    int    // bytes left in the current bulk string, CRLF included
	name    []byte
	nameLen int
}

type scanState int

const (
	scanCommand    scanState = iota // expecting "*N" or an inline command
	scanBulkHeader                  // expecting "$len"
	scanBulk                        // inside a bulk string
)

// maxNameLen bounds the recorded command name.
const maxNameLen = 64

func (s *respScanner) feed(b []byte) {
	for len(b) > 0 {
		if s.st == scanBulk {
			n := min(s.need, len(b))
			if s.first {
				room := min(s.nameLen, maxNameLen) - len(s.name)
				if room > 0 {
					s.name = append(s.name, b[:min(room, n)]...)
				}
			}
			s.need -= n
			b = b[n:]
			if s.need == 0 {
				s.endArg()
			}
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.line = append(s.line, b...)
			return
		}
		s.line = append(s.line, b[:i]...)
		b = b[i+1:]
		s.header(bytes.TrimSuffix(s.line, []byte{'\r'}))
		s.line = s.line[:0]
	}
}

// header handles one complete header line.
func (s *respScanner) header(line []byte) {
	switch s.st {
	case scanCommand:
		if len(line) == 0 {
			return
		}
		if line[0] != '*' {
			if f := bytes.Fields(line); len(f) > 0 {
				s.emit(f[0])
			}
			return
		}
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil || n <= 0 {
			return
		}
		s.args, s.first, s.st = n, true, scanBulkHeader
	case scanBulkHeader:
		if len(line) == 0 || line[0] != '$' {
			s.st = scanCommand // not a request we understand: resync
			return
		}
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			s.st = scanCommand
			return
		}
		if n < 0 {
			s.endArg()
			return
		}
		if s.first {
			s.name, s.nameLen = s.name[:0], n
		}
		s.need, s.st = n+2, scanBulk
	}
}

func (s *respScanner) endArg() {
	if s.first {
		s.emit(s.name)
		s.first = false
	}
	s.args--
	if s.args > 0 {
		s.st = scanBulkHeader
	} else {
		s.st = scanCommand
	}
}

func (s *respScanner) emit(name []byte) {
	if s.onCommand != nil {
		s.onCommand(strings.ToUpper(string(name)))
	}
}
