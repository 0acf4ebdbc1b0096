package conn

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// AccountRef names one account for connection actors: its data-path handle
// and its actor.
type AccountRef struct {
	Route *route.Account
	PID   *actor.PID
	LDS   string // the account's loop-detection subject
}

// Env is what connection actors need from the hub. It is immutable; a reload
// builds a new one.
type Env struct {
	Opts          *config.Options
	Auth          *auth.Authenticator
	Accounts      map[string]*AccountRef
	SystemAccount string
	// Info is the client INFO template; each connection fills in its own
	// client_id, client_ip and nonce.
	Info protocol.ServerInfo
	Log  *zap.Logger
	// Totals collects the counters of closed connections and server-wide events.
	Totals *Totals
	// FinalFlush bounds the last write of a closing connection.
	FinalFlush time.Duration
	// LeafInfo is the leafnode INFO template (accept side).
	LeafInfo protocol.ServerInfo
	// ClusterName is the cluster name leafhub presents on leaf connections:
	// its server name when it has remotes (as nats-server without a cluster
	// block), else none.
	ClusterName string
	// LeafDelays are the connect delays of solicited leafs.
	LeafDelays LeafDelays
	// ClientTLS and LeafTLS set up TLS on the client and leafnode ports
	// (nil: plain).
	ClientTLS, LeafTLS *serverTLS
	// WSPort is the websocket listener's port (its INFO port for
	// WebSocket clients).
	WSPort int
	// ClientLimits are the max_payload and max_control_line every client
	// reader applies; one value for the server's life, kept across reloads.
	ClientLimits *ClientLimits
}

// ClientLimits holds the parser limits of client connections. A reload
// stores new ones and each client reader takes them before its next read,
// as nats-server updates every client's limits on reload. Leaf connections
// keep the limits they started with (nats-server's reload leaves them too).
type ClientLimits struct {
	v atomic.Pointer[protocol.Limits]
}

// NewClientLimits returns the client limits of o.
func NewClientLimits(o *config.Options) *ClientLimits {
	l := &ClientLimits{}
	l.Set(o)
	return l
}

// Set installs the limits of o.
func (l *ClientLimits) Set(o *config.Options) {
	l.v.Store(&protocol.Limits{MaxControlLine: int(o.MaxControlLine), MaxPayload: int(o.MaxPayload)})
}

func (l *ClientLimits) load() *protocol.Limits { return l.v.Load() }

// NewServerTLS prepares a listener's TLS from its configuration (nil: none).
// allowPlain is allow_non_tls.
func NewServerTLS(t *config.TLSOpts, allowPlain bool) (*serverTLS, error) {
	if t == nil {
		return nil, nil
	}
	cfg, err := ServerTLS(t)
	if err != nil {
		return nil, err
	}
	return &serverTLS{cfg: cfg, timeout: t.Timeout, first: t.HandshakeFirst, fallback: t.FallbackDelay, optional: allowPlain}, nil
}

// Totals are server-wide counters (/varz) not tied to a live connection.
type Totals struct {
	InMsgs, InBytes, OutMsgs, OutBytes atomic.Int64 // of closed connections
	TotalConnections                   atomic.Uint64
	SlowConsumers                      atomic.Int64
	SlowConsumerClients                atomic.Int64
	StaleConnections                   atomic.Int64
	StaleConnectionClients             atomic.Int64
	StaleConnectionLeafs               atomic.Int64
	SlowConsumerLeafs                  atomic.Int64
}

// countSlow counts a close for being a slow consumer, in the total and in
// the connection kind's figure (as /varz reports them), and reports whether
// it was one.
func (t *Totals) countSlow(r CloseReason, kind *atomic.Int64) bool {
	if r != SlowConsumerPendingBytes && r != SlowConsumerWriteDeadline {
		return false
	}
	t.SlowConsumers.Add(1)
	kind.Add(1)
	return true
}

// add folds a closed connection's counters into the totals.
func (t *Totals) add(st *State) {
	ep := st.Endpoint()
	if ep == nil {
		return
	}
	t.InMsgs.Add(ep.InMsgs.Load())
	t.InBytes.Add(ep.InBytes.Load())
	msgs, bytes, _ := ep.Out.Stats()
	t.OutMsgs.Add(msgs)
	t.OutBytes.Add(bytes)
}
