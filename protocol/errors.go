package protocol

import (
	"errors"
	"strconv"
)

// wireError is a sentinel parser error. text is the -ERR text to send before
// closing, or "" when the connection is closed without one.
type wireError struct {
	msg  string
	text string
}

func (e *wireError) Error() string { return e.msg }

// Sentinel errors returned by [Parser.Parse], possibly wrapped with the
// operation and the offending bytes; test them with errors.Is. Every one of
// them means the connection must be closed; [ErrText] gives the -ERR text to
// send first.
var (
	// ErrUnknownOp: an operation name the mode does not accept, a name not
	// followed by the required blank, or a payload not followed by exactly
	// CR LF. Sends -ERR 'Unknown Protocol Operation'.
	ErrUnknownOp error = &wireError{"protocol: unknown protocol operation", ErrTextUnknownOp}
	// ErrMaxControlLine: a control line longer than Limits.MaxControlLine.
	// Sends -ERR 'maximum control line exceeded'.
	ErrMaxControlLine error = &wireError{"protocol: maximum control line exceeded", ErrTextMaxControlLine}
	// ErrMaxPayload: a declared size above Limits.MaxPayload.
	// Sends -ERR 'Maximum Payload Violation'.
	ErrMaxPayload error = &wireError{"protocol: maximum payload exceeded", ErrTextMaxPayload}
	// ErrAuthViolation: an operation other than CONNECT while
	// Parser.RequireConnect is set. Sends -ERR 'Authorization Violation'.
	ErrAuthViolation error = &wireError{"protocol: operation before CONNECT", ErrTextAuthViolation}
	// ErrBadArgs: a known operation with the wrong number of arguments, a
	// size that is not 1 to 9 decimal digits, a header size above the total,
	// or a malformed LMSG/HMSG reply indicator. nats-server closes without
	// an -ERR line, and so must the caller.
	ErrBadArgs error = &wireError{"protocol: bad arguments", ""}
)

// ErrText reports the -ERR text to send for err before closing the
// connection. ok is false when err is not a parser error, or is one after
// which the connection closes without an -ERR line ([ErrBadArgs]).
func ErrText(err error) (text string, ok bool) {
	var we *wireError
	if errors.As(err, &we) && we.text != "" {
		return we.text, true
	}
	return "", false
}

// parseError adds the operation and a snippet of the input to a sentinel.
type parseError struct {
	err     *wireError
	op      opKind
	snippet string
}

func (e *parseError) Error() string {
	s := e.err.msg
	if e.op != opNone {
		s += ": " + e.op.String()
	}
	if e.snippet != "" {
		s += " " + e.snippet
	}
	return s
}

func (e *parseError) Unwrap() error { return e.err }

// snippetMax bounds how much input an error message quotes.
const snippetMax = 40

// newParseError wraps a sentinel; it allocates, but only on the error path.
func newParseError(sentinel error, op opKind, input []byte) error {
	e := &parseError{err: sentinel.(*wireError), op: op}
	if input != nil {
		if len(input) > snippetMax {
			e.snippet = strconv.Quote(string(input[:snippetMax])) + "..."
		} else {
			e.snippet = strconv.Quote(string(input))
		}
	}
	return e
}
