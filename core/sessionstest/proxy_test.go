package sessionstest

import (
	"slices"
	"testing"
)

func TestRESPScanner(t *testing.T) {
	stream := "*1\r\n$5\r\nhello\r\n" +
		"*3\r\n$7\r\nevalsha\r\n$4\r\n\r\n\r\n$1\r\n*\r\n" + // a bulk holding CRLFs and "*"
		"PING\r\n" + // inline
		"*2\r\n$3\r\nDEL\r\n$-1\r\n" + // a null bulk
		"*2\r\n$4\r\nEVAL\r\n$0\r\n\r\n"
	want := []string{"HELLO", "EVALSHA", "PING", "DEL", "EVAL"}
	for _, chunk := range []int{1, 2, 3, 7, len(stream)} {
		var got []string
		sc := &respScanner{onCommand: func(name string) { got = append(got, name) }}
		for i := 0; i < len(stream); i += chunk {
			sc.feed([]byte(stream[i:min(i+chunk, len(stream))]))
		}
		if !slices.Equal(got, want) {
			t.Errorf("chunks of %d: got %q, want %q", chunk, got, want)
		}
	}
}

func TestFlipChar(t *testing.T) {
	for _, s := range []string{"AAAA", "a.b_", "-"} {
		for i := range len(s) {
			if got := flipChar(s, i); got == s || len(got) != len(s) {
				t.Errorf("flipChar(%q, %d) = %q", s, i, got)
			}
		}
	}
}
