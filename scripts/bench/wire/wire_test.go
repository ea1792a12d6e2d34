package wire

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParserCountsCommandsAcrossPieces(t *testing.T) {
	t.Parallel()
	stream := "*2\r\n$3\r\nGET\r\n$5\r\nk\r\nxy\r\n" + // a bulk string holding CRLF
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" +
		"PING\r\n" +
		"*1\r\n$-1\r\n"
	for _, size := range []int{1, 2, 3, 7, len(stream)} {
		var p Parser
		got := 0
		for b := []byte(stream); len(b) > 0; {
			n := min(size, len(b))
			got += p.Feed(b[:n])
			b = b[n:]
		}
		if got != 4 {
			t.Errorf("pieces of %d bytes: %d commands, want 4", size, got)
		}
	}
}

// fakeRedis answers "+OK\r\n" to every line ending in "\r\n" it reads
// after a complete command; enough for the proxy's counting.
func fakeRedis(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var p Parser
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if k := p.Feed(buf[:n]); k > 0 {
						c.Write([]byte(strings.Repeat("+OK\r\n", k)))
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProxyCountsRoundTripsNotCommands(t *testing.T) {
	t.Parallel()
	p, err := Listen(fakeRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	send := func(cmds string, answers int) {
		t.Helper()
		if _, err := c.Write([]byte(cmds)); err != nil {
			t.Fatal(err)
		}
		for range answers {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	send(get, 1)         // one command
	send(get+get+get, 3) // a pipeline: one round trip
	send(get, 1)         // one more
	got := p.Counts()
	if got.RoundTrips != 3 || got.Commands != 5 || got.Connections != 1 {
		t.Errorf("counts %+v, want 3 round trips, 5 commands, 1 connection", got)
	}
	if d := got.Sub(Counts{RoundTrips: 1, Commands: 2}); d.RoundTrips != 2 || d.Commands != 3 {
		t.Errorf("Sub: %+v", d)
	}
}

func fakeRedisB(b *testing.B) string { return fakeRedis(b) }
