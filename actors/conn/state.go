package conn

import (
	"net/netip"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/leafhub/leafhub/protocol"
	"sync/atomic"
	"time"

	"github.com/leafhub/leafhub/actors/route"
)

// CloseReason says why a connection ended; String gives nats-server's
// wording, shown by /connz.
type CloseReason uint8

// Close reasons, in nats-server's vocabulary.
const (
	ReasonNone CloseReason = iota
	ClientClosed
	AuthenticationTimeout
	AuthenticationViolation
	SlowConsumerPendingBytes
	SlowConsumerWriteDeadline
	WriteError
	ReadError
	ParseError
	StaleConnection
	ProtocolViolation
	BadClientProtocolVersion
	MaxConnectionsExceeded
	MaxPayloadExceeded
	MaxControlLineExceeded
	ServerShutdown
	NoRespondersRequiresHeaders
	MsgHeaderViolation
	InternalFault
	WrongPort
	ClusterNamesIdentical
	WrongGateway
	DuplicateRemoteLeafnode
	MissingAccount
	MinimumVersionRequired
	TLSHandshakeError
	AuthenticationExpired
)

var reasonText = [...]string{
	ReasonNone:                  "",
	ClientClosed:                "Client Closed",
	AuthenticationTimeout:       "Authentication Timeout",
	AuthenticationViolation:     "Authentication Failure",
	SlowConsumerPendingBytes:    "Slow Consumer (Pending Bytes)",
	SlowConsumerWriteDeadline:   "Slow Consumer (Write Deadline)",
	WriteError:                  "Write Error",
	ReadError:                   "Read Error",
	ParseError:                  "Parse Error",
	StaleConnection:             "Stale Connection",
	ProtocolViolation:           "Protocol Violation",
	BadClientProtocolVersion:    "Bad Client Protocol Version",
	MaxConnectionsExceeded:      "Maximum Connections Exceeded",
	MaxPayloadExceeded:          "Maximum Message Payload Exceeded",
	MaxControlLineExceeded:      "Maximum Control Line Exceeded",
	ServerShutdown:              "Server Shutdown",
	NoRespondersRequiresHeaders: "No Responders Requires Headers",
	MsgHeaderViolation:          "Message Header Violation",
	InternalFault:               "Internal Error",
	WrongPort:                   "Incorrect Port",
	ClusterNamesIdentical:       "Cluster Names Identical",
	WrongGateway:                "Wrong Gateway",
	DuplicateRemoteLeafnode:     "Duplicate Remote LeafNode Connection",
	MissingAccount:              "Missing Account",
	MinimumVersionRequired:      "Minimum Version Required",
	TLSHandshakeError:           "TLS Handshake Failure",
	AuthenticationExpired:       "Authentication Expired",
}

func (r CloseReason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return "Unknown State"
}

// Meta is what a connection said about itself in CONNECT.
type Meta struct {
	Name, Lang, Version string
	User, Account       string
	// From the user JWT in operator mode: the JWT (empty for a bearer
	// token), its issuer, its name and tags. IssuerKey is also the account
	// of a configured nkey user, as nats-server reports it.
	JWT, IssuerKey, NameTag string
	Tags                    []string
	TLS                     *TLSInfo // nil without TLS
}

// State is the monitoring view of one connection. The connection's actor
// and reader write it; monitoring reads it. Everything is atomic or immutable.
type State struct {
	CID    uint64
	Kind   route.Kind
	Start  time.Time
	Remote netip.AddrPort
	WS     bool // a client of the websocket port

	closedSubs atomic.Pointer[[]SubInfo] // the subscriptions when it closed

	ep           atomic.Pointer[route.Endpoint] // set by the actor when it starts
	lastActivity atomic.Int64                   // unix nanos, written by the reader
	rtt          atomic.Int64                   // nanos, written by the reader on PONG
	numSubs      atomic.Int32                   // written by the actor
	meta         atomic.Pointer[Meta]
	reason       atomic.Uint32            // CloseReason, set once when closing
	stop         atomic.Int64             // unix nanos when closed
	pid          *actor.PID               // the connection's actor; set by the supervisor before anyone asks
	leafMeta     atomic.Pointer[LeafMeta] // leaf connections, once the handshake settled
	connectDelay atomic.Int64             // solicited leafs: extra wait before the next dial
	peerErr      atomic.Pointer[string]   // the last -ERR the peer sent (leafs)
	readErr      atomic.Pointer[string]   // the read error that closed the connection
	tlsMismatch  atomic.Pointer[string]   // solicited leafs: the name the hub's certificate did not match
	compression  atomic.Pointer[string]   // leafs: the level (or off, not supported) this side writes with
	lsPlusIn     atomic.Int64             // LS+ received (leafs)
	lsMinusIn    atomic.Int64             // LS- received (leafs)
}

// LSIn is the number of LS+ and LS- received on a leaf connection.
func (s *State) LSIn() (plus, minus int64) { return s.lsPlusIn.Load(), s.lsMinusIn.Load() }

// Compression is a leaf connection's compression as /leafz shows it.
func (s *State) Compression() string {
	if p := s.compression.Load(); p != nil {
		return *p
	}
	return protocol.CompressNotSupported
}

// PeerErr is the last -ERR text the peer sent ("" if none).
func (s *State) PeerErr() string {
	if p := s.peerErr.Load(); p != nil {
		return *p
	}
	return ""
}

// ReadErr is the read error that closed the connection ("" if none).
func (s *State) ReadErr() string {
	if p := s.readErr.Load(); p != nil {
		return *p
	}
	return ""
}

// Leaf returns the leaf handshake details (nil for clients and before).
func (s *State) Leaf() *LeafMeta { return s.leafMeta.Load() }

// ConnectDelay is the extra wait a closed solicited leaf asked its remote
// for (loop detected, same cluster name, ...), 0 for none.
func (s *State) ConnectDelay() time.Duration { return time.Duration(s.connectDelay.Load()) }

// Endpoint is the connection's data-path endpoint (nil until its actor started).
func (s *State) Endpoint() *route.Endpoint { return s.ep.Load() }

// LastActivity is when the peer last sent something.
func (s *State) LastActivity() time.Time { return time.Unix(0, s.lastActivity.Load()) }

// RTT is the last measured round-trip time (0 before the first PONG).
func (s *State) RTT() time.Duration { return time.Duration(s.rtt.Load()) }

// NumSubs is the connection's subscription count.
func (s *State) NumSubs() int { return int(s.numSubs.Load()) }

// Meta returns the CONNECT details (zero before CONNECT).
func (s *State) Meta() Meta {
	if m := s.meta.Load(); m != nil {
		return *m
	}
	return Meta{}
}

// PID is the connection's actor.
func (s *State) PID() *actor.PID { return s.pid }

// SubjectsRequest asks a connection actor for the subjects of its
// subscriptions (a leaf: of the interest its peer announced); the answer is
// a *Subjects.
type SubjectsRequest struct{}

// Subjects answers SubjectsRequest.
type Subjects struct {
	List []string
	Subs []SubInfo // the same subscriptions in detail
}

// Reason is why the connection closed (ReasonNone while open).
func (s *State) Reason() CloseReason { return CloseReason(s.reason.Load()) }

// Stop is when the connection closed (zero while open).
func (s *State) Stop() time.Time {
	if n := s.stop.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (s *State) setReason(r CloseReason) {
	s.reason.CompareAndSwap(uint32(ReasonNone), uint32(r))
}
