package wire

// Parser counts the top-level commands in a client's byte stream, fed in
// pieces as they arrive: RESP arrays of bulk strings (what every client
// library sends) and inline commands (a line without a leading '*').
// The zero value is ready.
type Parser struct {
	state   int // what the next bytes are
	line    []byte
	items   int64 // bulk strings still to come in the current array
	skip    int64 // bytes of bulk data (and its CRLF) still to skip
	inArray bool
}

const (
	stHead = iota // the start of a command
	stLine        // inside a header line ('*N', '$N' or an inline command)
	stBulk        // skipping bulk data
	stItem        // expecting '$' of the next bulk string
)

// Feed consumes b and returns how many commands it completed.
func (p *Parser) Feed(b []byte) int {
	done := 0
	for len(b) > 0 {
		switch p.state {
		case stHead, stItem:
			p.line = p.line[:0]
			p.state = stLine
		case stLine:
			i := indexByte(b, '\n')
			if i < 0 {
				p.line = append(p.line, b...)
				return done
			}
			p.line = append(p.line, b[:i]...)
			b = b[i+1:]
			done += p.endLine()
		case stBulk:
			if int64(len(b)) < p.skip {
				p.skip -= int64(len(b))
				return done
			}
			b = b[p.skip:]
			p.skip = 0
			p.items--
			if p.items <= 0 {
				p.state, p.inArray = stHead, false
				done++
			} else {
				p.state = stItem
			}
		}
	}
	return done
}

// endLine handles a complete header line and says whether it completed a
// command.
func (p *Parser) endLine() int {
	line := p.line
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	switch {
	case !p.inArray && len(line) > 0 && line[0] == '*':
		n := atoi(line[1:])
		if n <= 0 {
			p.state = stHead
			return 1 // an empty array: nothing to run, still one write
		}
		p.items, p.inArray, p.state = n, true, stItem
		return 0
	case p.inArray && len(line) > 0 && line[0] == '$':
		n := atoi(line[1:])
		if n >= 0 {
			p.skip, p.state = n+2, stBulk // the data and its CRLF
			return 0
		}
		// A null bulk string: no data follows.
		p.items--
		if p.items <= 0 {
			p.state, p.inArray = stHead, false
			return 1
		}
		p.state = stItem
		return 0
	case p.inArray:
		// Not RESP after all: count what we have and start over.
		p.state, p.inArray = stHead, false
		return 1
	default:
		p.state = stHead
		if len(line) == 0 {
			return 0 // a blank line between inline commands
		}
		return 1
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func atoi(b []byte) int64 {
	var n int64
	neg := false
	for i, c := range b {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}
