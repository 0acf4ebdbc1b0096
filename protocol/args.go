package protocol

import "bytes"

// control handles a complete control line of an operation without payload.
func (p *Parser) control(line []byte, h Handler) error {
	switch p.op {
	case opConnect:
		return h.Connect(trimBlanksRight(line))
	case opInfo:
		return h.Info(trimBlanksRight(line))
	case opErr:
		return h.Err(errArgText(line))

	case opSub:
		args := p.split(line)
		switch len(args) {
		case 2:
			return h.Sub(args[0], nil, args[1])
		case 3:
			return h.Sub(args[0], args[1], args[2])
		}

	case opUnsub:
		args := p.split(line)
		switch len(args) {
		case 1:
			return h.Unsub(args[0], 0)
		case 2:
			// As in nats-server, a max that does not parse means no max.
			return h.Unsub(args[0], max(parseSize(args[1]), 0))
		}

	case opLSub:
		args := p.split(line)
		switch len(args) {
		case 1:
			return h.LSub(args[0], nil, 1)
		case 3:
			// A weight that does not parse, or is below 1, counts as one
			// member; nine digits at most caps it at MaxSize.
			return h.LSub(args[0], args[1], max(parseSize(args[2]), 1))
		}

	case opLUnsub:
		args := p.split(line)
		switch len(args) {
		case 1:
			return h.LUnsub(args[0], nil)
		case 2:
			return h.LUnsub(args[0], args[1])
		}
		if len(args) > 2 {
			// nats-server looks the whole argument up as a subscription
			// key; with a third field it names none, so the LS- is a no-op
			// and the link stays.
			return nil
		}
	}
	return newParseError(ErrBadArgs, p.op, line)
}

// messageArgs parses the control line of a message operation into the
// parser's subject, sid, reply, queues, hdr and size, and checks the sizes
// against the limits. Queue names and the other fields alias line.
func (p *Parser) messageArgs(line []byte) error {
	args := p.split(line)
	n := len(args)
	p.sid, p.reply, p.queues, p.hdr = nil, nil, nil, -1
	var hdr, size []byte

	switch p.op {
	case opPub: // subject [reply] size
		switch n {
		case 2:
			size = args[1]
		case 3:
			p.reply, size = args[1], args[2]
		default:
			return newParseError(ErrBadArgs, p.op, line)
		}

	case opHPub: // subject [reply] hdr_size total_size
		switch n {
		case 3:
			hdr, size = args[1], args[2]
		case 4:
			p.reply, hdr, size = args[1], args[2], args[3]
		default:
			return newParseError(ErrBadArgs, p.op, line)
		}

	case opMsg: // subject sid [reply] size
		switch n {
		case 3:
			p.sid, size = args[1], args[2]
		case 4:
			p.sid, p.reply, size = args[1], args[2], args[3]
		default:
			return newParseError(ErrBadArgs, p.op, line)
		}

	case opHMsg: // subject sid [reply] hdr_size total_size
		switch n {
		case 4:
			p.sid, hdr, size = args[1], args[2], args[3]
		case 5:
			p.sid, p.reply, hdr, size = args[1], args[2], args[3], args[4]
		default:
			return newParseError(ErrBadArgs, p.op, line)
		}

	case opLMsg, opLHMsg:
		// subject [reply] size, subject + reply q1... size, subject | q1...
		// size; HMSG has hdr_size before the size.
		sizes := 1
		if p.op == opLHMsg {
			sizes = 2
		}
		switch {
		case n < 1+sizes:
			return newParseError(ErrBadArgs, p.op, line)
		case n == 1+sizes:
		case n == 2+sizes:
			p.reply = args[1]
		default:
			if len(args[1]) != 1 {
				return newParseError(ErrBadArgs, p.op, line)
			}
			switch args[1][0] {
			case '+':
				p.reply = args[2]
				p.queues = args[3 : n-sizes]
			case '|':
				p.queues = args[2 : n-sizes]
			default:
				return newParseError(ErrBadArgs, p.op, line)
			}
		}
		if sizes == 2 {
			hdr = args[n-2]
		}
		size = args[n-1]
	}

	p.subject = args[0]
	p.size = parseSize(size)
	if p.size < 0 {
		return newParseError(ErrBadArgs, p.op, line)
	}
	if hdr != nil {
		p.hdr = parseSize(hdr)
		if p.hdr < 0 || p.hdr > p.size {
			return newParseError(ErrBadArgs, p.op, line)
		}
	}
	if p.size > p.maxPayload {
		return newParseError(ErrMaxPayload, p.op, line)
	}
	return nil
}

// split cuts line at runs of spaces and tabs into the parser's reused args.
func (p *Parser) split(line []byte) [][]byte {
	args := p.args[:0]
	if bytes.IndexByte(line, '\t') >= 0 {
		args = splitBlanks(args, line)
	} else {
		// No tabs, the usual case: bytes.IndexByte finds each space faster
		// than a loop over the bytes.
		for {
			for len(line) > 0 && line[0] == ' ' {
				line = line[1:]
			}
			if len(line) == 0 {
				break
			}
			end := bytes.IndexByte(line, ' ')
			if end < 0 {
				args = append(args, line)
				break
			}
			args = append(args, line[:end])
			line = line[end+1:]
		}
	}
	p.args = args
	return args
}

// splitBlanks appends the fields of line separated by runs of spaces and tabs.
func splitBlanks(args [][]byte, line []byte) [][]byte {
	i, n := 0, len(line)
	for {
		for i < n && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == n {
			return args
		}
		start := i
		for i < n && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		args = append(args, line[start:i])
	}
}

// maxSizeDigits is the longest size or count field nats-server accepts.
const maxSizeDigits = 9

// parseSize reads a size field: 1 to 9 decimal digits, nothing else. It
// returns -1 for anything else.
func parseSize(d []byte) int {
	if len(d) == 0 || len(d) > maxSizeDigits {
		return -1
	}
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// trimBlanksRight drops trailing spaces and tabs (nats-server writes
// "INFO {...} \r\n").
func trimBlanksRight(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// errArgText returns the text of an -ERR line without its single quotes.
func errArgText(arg []byte) []byte {
	arg = trimBlanksRight(arg)
	if len(arg) > 0 && arg[0] == '\'' {
		arg = arg[1:]
	}
	if len(arg) > 0 && arg[len(arg)-1] == '\'' {
		arg = arg[:len(arg)-1]
	}
	return arg
}
