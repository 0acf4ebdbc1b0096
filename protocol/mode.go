package protocol

import "strconv"

// Mode selects which operations a [Parser] accepts and how it lays out the
// arguments of HMSG.
type Mode uint8

const (
	// ClientMode is the server side of a client connection: CONNECT, PUB,
	// HPUB, SUB, UNSUB, PING, PONG. Anything else is [ErrUnknownOp].
	ClientMode Mode = iota
	// LeafMode is either side of a leaf connection: INFO, CONNECT, LS+, LS-,
	// LMSG, HMSG (leaf layout, no sid), PING, PONG, -ERR, and +OK, which is
	// ignored. MSG, and the aliases nats-server tolerates (RS+, RS-, RMSG,
	// PUB, HPUB, A+, A-), are [ErrUnknownOp].
	LeafMode
	// ServerMode is the client side of a client connection, for tests and
	// benchmark tools reading a server: INFO, MSG, HMSG (client layout, with
	// sid), PING, PONG, +OK, -ERR.
	ServerMode
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case ClientMode:
		return "client"
	case LeafMode:
		return "leaf"
	case ServerMode:
		return "server"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

const (
	// DefaultMaxControlLine is nats-server's default max_control_line for
	// client connections. Leaf connections allow LeafControlLineFactor times
	// the configured value.
	DefaultMaxControlLine = 4096
	// LeafControlLineFactor multiplies max_control_line for leaf connections.
	LeafControlLineFactor = 16
	// DefaultMaxPayload is nats-server's default max_payload (1 MiB).
	DefaultMaxPayload = 1 << 20
	// MaxSize is the largest size a 9-digit size field can carry; it is also
	// the cap of an LS+ queue weight.
	MaxSize = 999_999_999
)

// Limits bounds what a [Parser] accepts.
type Limits struct {
	// MaxControlLine is the longest control line, counted from the first
	// argument byte up to (not including) the line end. A longer line is
	// [ErrMaxControlLine], also when it arrives split over several reads.
	// Zero or negative means DefaultMaxControlLine. Callers parsing a leaf
	// connection pass LeafControlLineFactor times max_control_line.
	MaxControlLine int
	// MaxPayload is the largest declared message size (for HPUB, HMSG: the
	// total of headers and payload). A larger size argument is
	// [ErrMaxPayload], reported before any payload byte is read. Zero means
	// DefaultMaxPayload; negative means no limit beyond MaxSize.
	MaxPayload int
}

// resolved returns the limits with defaults applied.
func (l Limits) resolved() (maxControlLine, maxPayload int) {
	maxControlLine, maxPayload = l.MaxControlLine, l.MaxPayload
	if maxControlLine <= 0 {
		maxControlLine = DefaultMaxControlLine
	}
	switch {
	case maxPayload == 0:
		maxPayload = DefaultMaxPayload
	case maxPayload < 0:
		maxPayload = MaxSize
	}
	return maxControlLine, maxPayload
}
