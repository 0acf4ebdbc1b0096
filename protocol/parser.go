package protocol

import "bytes"

// parseState is where the parser stands in the input stream.
type parseState uint8

const (
	stateOpStart    parseState = iota // at the first byte of an operation
	stateName                         // inside the operation name
	stateNeedBlank                    // the name must be followed by a space or tab
	stateBlanks                       // blanks before the arguments
	stateArgs                         // the arguments, up to the line feed
	stateIgnoreLine                   // PING, PONG, +OK: skipping to the line feed
	statePayload                      // the payload of a message operation
	statePayloadCR                    // the CR after the payload
	statePayloadLF                    // the LF after the payload
)

// retainLimit is the largest internal buffer kept for reuse after an
// operation that was split across reads. Larger ones are dropped so that one
// big message does not pin memory for the life of the connection.
const retainLimit = 64 << 10

// Parser reads the NATS protocol of one connection. It is a state machine
// that accepts the input split at any byte boundary across calls to Parse,
// and reports each complete operation to a [Handler].
//
// An operation whose control line and payload arrive in one buffer is
// delivered with slices into that buffer: no copy, no allocation. A split
// operation is gathered in internal buffers that are reused for later ones.
//
// A Parser is owned by one goroutine. The zero value is not usable; use
// [NewParser].
type Parser struct {
	// RequireConnect, while true, makes any operation other than CONNECT fail
	// with ErrAuthViolation (checked on its first byte, as nats-server does
	// when authentication is required). It is read at the start of every
	// operation, so a Handler.Connect that clears it admits the operations
	// that follow in the same buffer.
	RequireConnect bool
	// AllowInfo admits INFO too while RequireConnect is set: a leafnode
	// accept side that negotiates compression takes the leaf's INFO
	// before its CONNECT (spec 2.4.1).
	AllowInfo bool

	mode           Mode
	names          *nameTable
	maxControlLine int
	maxPayload     int

	state parseState
	name  uint8  // DFA state while in stateName
	op    opKind // the operation being read
	err   error  // sticky: the first error returned

	// line gathers a control line split across reads. It also receives a
	// copy of a message's control line when the payload has to wait for the
	// next read (pendingLine then points into the caller's buffer).
	line        []byte
	pendingLine []byte // control line aliasing the caller's buffer, or nil
	payload     []byte // payload gathered across reads
	args        [][]byte

	// Arguments of the message operation being read.
	subject, sid, reply []byte
	queues              [][]byte
	hdr, size           int
}

// NewParser returns a parser for the given mode and limits.
func NewParser(mode Mode, lim Limits) *Parser {
	if int(mode) >= len(nameTables) {
		panic("protocol: invalid Mode " + mode.String())
	}
	p := &Parser{mode: mode, names: nameTables[mode], args: make([][]byte, 0, 8)}
	p.SetLimits(lim)
	return p
}

// Mode returns the parser's mode.
func (p *Parser) Mode() Mode { return p.mode }

// SetLimits replaces the limits. They apply to every control line that
// completes after the call, including the rest of the buffer being parsed
// when a Handler calls it (for example from Connect, once the account's
// max_payload is known).
func (p *Parser) SetLimits(lim Limits) {
	p.maxControlLine, p.maxPayload = lim.resolved()
}

// Parse consumes all of buf, keeping any incomplete operation for the next
// call, and calls h for each complete operation in stream order.
//
// Slices passed to h alias buf or the parser's internal buffers and are valid
// only during the call; h must copy what it keeps. h must not call Parse.
//
// Parse returns the first error, either a protocol violation (see
// [ErrUnknownOp] and the other sentinels, and [ErrText]) or an error returned
// by h, which stops parsing at once. After an error the parser is unusable:
// every later call returns the same error, and the connection must be
// closed.
func (p *Parser) Parse(buf []byte, h Handler) error {
	if p.err != nil {
		return p.err
	}
	if err := p.parse(buf, h); err != nil {
		p.err = err
		p.line, p.pendingLine, p.payload, p.args, p.queues = nil, nil, nil, nil, nil
		p.subject, p.sid, p.reply = nil, nil, nil
		return err
	}
	return nil
}

func (p *Parser) parse(buf []byte, h Handler) error {
	// The state and operation live in locals while parsing, and are written
	// back to p before returning for more input.
	names, state, op := p.names, p.state, p.op
	i := 0
	for i < len(buf) {
		switch state {
		case stateOpStart:
			if p.RequireConnect && buf[i] != 'C' && buf[i] != 'c' && !(p.AllowInfo && (buf[i] == 'I' || buf[i] == 'i')) {
				return newParseError(ErrAuthViolation, opNone, nil)
			}
			p.name = nameStart
			fallthrough

		case stateName:
			name := p.name
			for {
				name = names.next[name][buf[i]]
				i++
				if name&nameDone != 0 {
					op = names.op[name&^nameDone]
					state = op.stateAfterName()
					break
				}
				if name == nameDead {
					return newParseError(ErrUnknownOp, opNone, buf[max(i-8, 0):i])
				}
				if i == len(buf) {
					p.name, p.state = name, stateName
					return nil
				}
			}

		case stateIgnoreLine:
			end := bytes.IndexByte(buf[i:], '\n')
			if end < 0 {
				p.state, p.op = state, op
				return nil
			}
			i += end + 1
			state = stateOpStart
			var err error
			switch op {
			case opPing:
				err = h.Ping()
			case opPong:
				err = h.Pong()
			case opOK:
				err = h.OK()
			}
			if err != nil {
				return err
			}

		case stateNeedBlank:
			if b := buf[i]; b != ' ' && b != '\t' {
				return newParseError(ErrUnknownOp, op, buf[i:min(i+8, len(buf))])
			}
			i++
			fallthrough

		case stateBlanks:
			for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t') {
				i++
			}
			if i == len(buf) {
				state = stateBlanks
				continue
			}
			fallthrough

		case stateArgs:
			rest := buf[i:]
			end := bytes.IndexByte(rest, '\n')
			if end < 0 {
				// The line continues in a later read. Gather it, unless it is
				// already too long (a CR at the very end may still be
				// dropped, so it does not count yet).
				n := len(p.line) + len(rest)
				if rest[len(rest)-1] == '\r' {
					n--
				}
				if n > p.maxControlLine {
					return newParseError(ErrMaxControlLine, op, nil)
				}
				p.line = append(p.line, rest...)
				p.state, p.op = stateArgs, op
				return nil
			}
			line := rest[:end]
			gathered := len(p.line) > 0
			if gathered {
				p.line = append(p.line, line...)
				line = p.line
			}
			i += end + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > p.maxControlLine {
				return newParseError(ErrMaxControlLine, op, nil)
			}
			p.op = op
			if !op.carriesPayload() {
				err := p.control(line, h)
				p.endOp()
				state = stateOpStart
				if err != nil {
					return err
				}
				continue
			}
			if err := p.messageArgs(line); err != nil {
				return err
			}
			if !gathered {
				p.pendingLine = line
			}
			state = statePayload
			if i == len(buf) {
				continue
			}
			fallthrough

		case statePayload:
			size := p.size
			if len(p.payload) == 0 && len(buf)-i >= size+2 {
				// The whole message is here: deliver it from buf.
				end := i + size
				if buf[end] != '\r' || buf[end+1] != '\n' {
					return newParseError(ErrUnknownOp, op, buf[end:end+2])
				}
				msg := buf[i:end]
				i = end + 2
				state = stateOpStart
				if err := p.deliver(msg, h); err != nil {
					return err
				}
				continue
			}
			// The message continues in a later read: gather the payload.
			if cap(p.payload) < size {
				p.payload = append(make([]byte, 0, size), p.payload...)
			}
			n := min(size-len(p.payload), len(buf)-i)
			p.payload = append(p.payload, buf[i:i+n]...)
			i += n
			if len(p.payload) == size {
				state = statePayloadCR
			}

		case statePayloadCR:
			if buf[i] != '\r' {
				return newParseError(ErrUnknownOp, op, buf[i:min(i+2, len(buf))])
			}
			i++
			state = statePayloadLF

		case statePayloadLF:
			if buf[i] != '\n' {
				return newParseError(ErrUnknownOp, op, buf[i:i+1])
			}
			i++
			state = stateOpStart
			if err := p.deliver(p.payload, h); err != nil {
				return err
			}
		}
	}
	p.state, p.op = state, op
	if p.pendingLine != nil {
		// A message's arguments still point into buf, which the caller
		// reuses once we return.
		p.keepLine()
	}
	return nil
}

// keepLine copies a message's control line out of the caller's buffer, which
// is about to go away, and points the arguments into the copy.
func (p *Parser) keepLine() {
	p.line = append(p.line[:0], p.pendingLine...)
	p.pendingLine = nil
	// The same bytes parsed successfully a moment ago.
	_ = p.messageArgs(p.line)
}

// deliver hands a complete message to h and releases its buffers.
func (p *Parser) deliver(msg []byte, h Handler) error {
	var err error
	switch p.op {
	case opPub, opHPub:
		err = h.Pub(p.subject, p.reply, p.hdr, msg)
	case opMsg, opHMsg:
		err = h.Msg(p.subject, p.sid, p.reply, p.hdr, msg)
	case opLMsg, opLHMsg:
		err = h.LMsg(p.subject, p.reply, p.queues, p.hdr, msg)
	}
	if cap(p.payload) > retainLimit {
		p.payload = nil
	} else {
		p.payload = p.payload[:0]
	}
	p.endOp()
	return err
}

// endOp releases what the finished operation held.
func (p *Parser) endOp() {
	p.pendingLine = nil
	if cap(p.line) > retainLimit {
		p.line = nil
	} else {
		p.line = p.line[:0]
	}
}
