package hub

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/config"
)

// Varz reports /varz.
func (s *Server) Varz() *monitor.Varz {
	o, env := s.current()
	now := time.Now()
	v := &monitor.Varz{
		ID: s.id, Name: s.name, Version: CompatVersion, Proto: 1, GoVersion: runtime.Version(),
		Host: o.Host, Port: env.Info.Port, AuthRequired: env.Auth.AdvertiseAuthRequired(),
		MaxConn: o.MaxConn, MaxSubs: o.MaxSubs, PingInterval: o.PingInterval, MaxPingsOut: o.MaxPingsOut,
		HTTPHost: o.MonitorHost(), HTTPPort: o.HTTPPort, AuthTimeout: o.AuthTimeout.Seconds(),
		MaxControlLine: o.MaxControlLine, MaxPayload: int(o.MaxPayload), MaxPending: o.MaxPending,
		TLSRequired: env.Info.TLSRequired, TLSVerify: env.Info.TLSVerify,
		TLSTimeout: tlsTimeout(o.TLS), WriteDeadline: o.WriteDeadline,
		Start: s.start, Now: now, Uptime: uptime(now.Sub(s.start)),
		Cores: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0),
		ConfigLoadTime: s.configLoadTime().UTC(), ConfigDigest: o.ConfigDigest,
		TLSCertNotAfter:      env.ClientTLS.CertNotAfter(),
		SystemAccount:        env.SystemAccount,
		LeafNode:             s.leafVarz(o),
		SlowConsumersStats:   &monitor.SlowConsumersStats{},
		StaleConnectionStats: &monitor.StaleConnectionStats{},
	}
	if w := &o.Websocket; w.Enabled() {
		v.Websocket = &monitor.WebsocketVarz{Host: w.Host, Port: w.Port, HandshakeTimeout: w.HandshakeTimeout,
			NoTLS: w.NoTLS, TLSMap: w.TLS != nil && w.TLS.Map, SameOrigin: w.SameOrigin,
			AllowedOrigins: w.AllowedOrigins, Compression: w.Compression, TLSCertNotAfter: s.wsCertNotAfter}
		if a := s.WebsocketAddr(); a != nil {
			v.Websocket.Port = a.Port
		}
	}
	v.LeafNode.TLSCertNotAfter = env.LeafTLS.CertNotAfter()
	for _, op := range o.Operators {
		v.TrustedOperatorsJWT = append(v.TrustedOperatorsJWT, op.JWT)
		v.TrustedOperatorsClaim = append(v.TrustedOperatorsClaim, op.Claims)
	}
	if a, ok := s.MonitorAddr().(*net.TCPAddr); ok {
		v.HTTPPort = a.Port
	}
	if lim := debug.SetMemoryLimit(-1); lim != int64(^uint64(0)>>1) {
		v.MemLimit = lim
	}
	v.Mem, v.CPU = s.cpu.sample()
	t := env.Totals
	v.TotalConnections = t.TotalConnections.Load()
	v.SlowConsumers = t.SlowConsumers.Load()
	v.StaleConnections = t.StaleConnections.Load()
	v.SlowConsumersStats.Clients = uint64(t.SlowConsumerClients.Load())
	v.StaleConnectionStats.Clients = uint64(t.StaleConnectionClients.Load())
	v.StaleConnectionStats.Leafs = uint64(t.StaleConnectionLeafs.Load())
	v.SlowConsumersStats.Leafs = uint64(t.SlowConsumerLeafs.Load())
	v.InMsgs, v.InBytes = t.InMsgs.Load(), t.InBytes.Load()
	v.OutMsgs, v.OutBytes = t.OutMsgs.Load(), t.OutBytes.Load()
	if l, err := s.connections(); err == nil {
		for _, st := range l.Open {
			ep := st.Endpoint()
			v.InMsgs += ep.InMsgs.Load()
			v.InBytes += ep.InBytes.Load()
			msgs, bytes, _ := ep.Out.Stats()
			v.OutMsgs += msgs
			v.OutBytes += bytes
			if st.Kind == route.KindClient {
				v.Connections++
			} else if st.Leaf() != nil {
				// As nats-server: a leaf counts once its CONNECT is accepted.
				v.Leafs++
			}
		}
	}
	v.InClientMsgs, v.InClientBytes = v.InMsgs, v.InBytes
	v.OutClientMsgs, v.OutClientBytes = v.OutMsgs, v.OutBytes
	for _, n := range s.accountNames() {
		v.Subscriptions += uint32(s.accountRef(n).Route.Snapshot().Count())
	}
	return v
}

// configLoadTime is when the configuration in effect was loaded.
func (s *Server) configLoadTime() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.loadTime
}

// uptime formats a duration as nats-server does: 1y2d3h4m5s, largest unit first.
func uptime(d time.Duration) string {
	tsecs := int64(d / time.Second)
	tmins, tsecs := tsecs/60, tsecs%60
	thrs, tmins := tmins/60, tmins%60
	tdays, thrs := thrs/24, thrs%24
	tyrs, tdays := tdays/365, tdays%365
	var b strings.Builder
	if tyrs > 0 {
		fmt.Fprintf(&b, "%dy", tyrs)
	}
	if tyrs > 0 || tdays > 0 {
		fmt.Fprintf(&b, "%dd", tdays)
	}
	if tyrs > 0 || tdays > 0 || thrs > 0 {
		fmt.Fprintf(&b, "%dh", thrs)
	}
	if tyrs > 0 || tdays > 0 || thrs > 0 || tmins > 0 {
		fmt.Fprintf(&b, "%dm", tmins)
	}
	fmt.Fprintf(&b, "%ds", tsecs)
	return b.String()
}

// Connz reports /connz with nats-server's filters, order and paging. As
// nats-server: total counts the connections in the state asked for (of the
// account, with acc=), before the cid and user filters; an unknown account
// gives an empty answer without a server id. q.State is "open" (or ""),
// "closed" or "any", as the monitor's query parsing gives it.
//
// Connections are sorted and paged on figures their State holds; only the
// page's entries are built, so subscriptions (one ask of each actor) and
// certificate digests cost per entry shown, not per connection.
func (s *Server) Connz(q monitor.ConnzOptions) (*monitor.Connz, error) {
	wantOpen, wantClosed := q.State != "closed", q.State == "closed" || q.State == "any"
	by := q.Sort
	if by == "" {
		by = "cid"
	}
	less, ok := connzOrder[by]
	if !ok {
		return nil, fmt.Errorf("invalid sorting option: %s", q.Sort)
	}
	if (by == "stop" || by == "reason") && q.State != "closed" {
		return nil, fmt.Errorf("sort by %s only valid on closed connections", by)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = monitor.DefaultConnzLimit
	}
	if q.CID > 0 {
		limit = 1
	}
	now := time.Now().UTC()
	z := &monitor.Connz{Now: now, Offset: max(q.Offset, 0), Limit: limit}
	if q.Account != "" && s.accountRef(q.Account) == nil {
		return z, nil
	}
	z.ID = s.id
	l, err := s.connections()
	if err != nil {
		return nil, err
	}
	var open, closed []*conn.State
	if wantOpen {
		for _, st := range l.Open {
			if q.Account == "" || st.Meta().Account == q.Account {
				open = append(open, st)
			}
		}
	}
	if wantClosed {
		for _, st := range l.Closed {
			// A closed connection of the global account has no account
			// name to match, as in nats-server.
			if q.Account == "" || closedAccount(st) == q.Account {
				closed = append(closed, st)
			}
		}
	}
	z.Total = len(open) + len(closed)
	userOK := func(st *conn.State) bool { return q.User == "" || st.Meta().User == q.User }
	var rows []connzRow
	for _, st := range open {
		if (q.CID == 0 || st.CID == q.CID) && userOK(st) {
			rows = append(rows, newConnzRow(st, now))
		}
	}
	if q.CID == 0 || len(rows) == 0 {
		for _, st := range closed {
			if (q.CID == 0 || st.CID == q.CID) && userOK(st) {
				rows = append(rows, newConnzRow(st, now))
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].st.CID < rows[j].st.CID })
	sort.SliceStable(rows, func(i, j int) bool { return less(&rows[i], &rows[j]) })
	off := min(z.Offset, len(rows))
	page := rows[off : off+min(limit, len(rows)-off)]
	var subs map[*conn.State]*conn.Subjects
	if q.Subscriptions || q.SubscriptionsDetail {
		sts := make([]*conn.State, len(page))
		for i := range page {
			sts[i] = page[i].st
		}
		subs = s.subjectsOf(sts)
	}
	o, _ := s.current()
	z.Conns = make([]*monitor.ConnInfo, 0, len(page))
	for i := range page {
		z.Conns = append(z.Conns, s.connInfo(o, &page[i], now, &q, subs[page[i].st]))
	}
	z.NumConns = len(z.Conns)
	return z, nil
}

// connzRow is a connection to sort and page: the figures /connz sorts on,
// read once from its State. Its entry shows the same figures.
type connzRow struct {
	st                                 *conn.State
	numSubs                            uint32
	inMsgs, inBytes, outMsgs, outBytes int64
	pending                            int
	last, stop                         time.Time // stop is zero while open
	uptime, rtt                        time.Duration
	reason                             string
}

func newConnzRow(st *conn.State, now time.Time) connzRow {
	r := connzRow{st: st, numSubs: uint32(st.NumSubs()), last: st.LastActivity(), stop: st.Stop(), rtt: st.RTT()}
	if ep := st.Endpoint(); ep != nil {
		r.inMsgs, r.inBytes = ep.InMsgs.Load(), ep.InBytes.Load()
		r.outMsgs, r.outBytes, r.pending = ep.Out.Stats()
	}
	end := now
	if !r.stop.IsZero() {
		// Frozen when the connection closed.
		end = r.stop
		r.reason = st.Reason().String()
	}
	r.uptime = end.Sub(st.Start)
	return r
}

// connzByCID is the order of sort=cid and of sort=start: connection ids
// grow with the start time.
func connzByCID(a, b *connzRow) bool { return a.st.CID < b.st.CID }

// connzOrder holds nats-server's sort options: only cid, start, uptime
// and reason ascend; the others put the largest first.
var connzOrder = map[string]func(a, b *connzRow) bool{
	"cid":        connzByCID,
	"start":      connzByCID,
	"subs":       func(a, b *connzRow) bool { return a.numSubs > b.numSubs },
	"pending":    func(a, b *connzRow) bool { return a.pending > b.pending },
	"msgs_to":    func(a, b *connzRow) bool { return a.outMsgs > b.outMsgs },
	"msgs_from":  func(a, b *connzRow) bool { return a.inMsgs > b.inMsgs },
	"bytes_to":   func(a, b *connzRow) bool { return a.outBytes > b.outBytes },
	"bytes_from": func(a, b *connzRow) bool { return a.inBytes > b.inBytes },
	"last":       func(a, b *connzRow) bool { return a.last.After(b.last) },
	"idle":       func(a, b *connzRow) bool { return a.last.Before(b.last) },
	"uptime":     func(a, b *connzRow) bool { return a.uptime < b.uptime },
	"stop":       func(a, b *connzRow) bool { return a.stop.After(b.stop) },
	"reason":     func(a, b *connzRow) bool { return a.reason < b.reason },
	"rtt":        func(a, b *connzRow) bool { return a.rtt > b.rtt },
}

// closedAccount is the account nats-server keeps for a closed connection:
// none for the global account.
func closedAccount(st *conn.State) string {
	if a := st.Meta().Account; a != auth.GlobalAccount {
		return a
	}
	return ""
}

// connInfo is the /connz entry of r's connection, filled as nats-server
// fills it: an open connection shows its user, account, JWT and peer
// certificates only with auth=1; a closed one always shows its JWT fields,
// with auth=1 also its user and account, never its peer certificates. live
// are its subscriptions when it is open and they were asked for.
func (s *Server) connInfo(o *config.Options, r *connzRow, now time.Time, q *monitor.ConnzOptions, live *conn.Subjects) *monitor.ConnInfo {
	st := r.st
	meta := st.Meta()
	closed := !r.stop.IsZero()
	ci := &monitor.ConnInfo{
		Cid: st.CID, Kind: st.Kind.String(), IP: st.Remote.Addr().String(), Port: int(st.Remote.Port()),
		Start: st.Start, LastActivity: r.last, NumSubs: r.numSubs,
		Name: meta.Name, Lang: meta.Lang, Version: meta.Version,
		InMsgs: r.inMsgs, InBytes: r.inBytes, OutMsgs: r.outMsgs, OutBytes: r.outBytes, Pending: r.pending,
		RTT: rttString(r.rtt), Uptime: uptime(r.uptime),
	}
	if st.Kind == route.KindClient {
		ci.Type = "nats"
		if st.WS {
			ci.Type = "websocket"
		}
	}
	end := now
	if closed {
		stop := r.stop
		end = stop
		ci.Stop, ci.Reason = &stop, r.reason
	}
	ci.Idle = uptime(end.Sub(r.last))
	if t := meta.TLS; t != nil {
		ci.TLSVersion, ci.TLSCipher, ci.TLSFirst = tlsVersion(t.Version), tls.CipherSuiteName(t.CipherSuite), t.First
		if q.Username && !closed {
			ci.TLSPeerCerts = peerCerts(t.PeerCerts)
		}
	}
	if closed || q.Username {
		ci.JWT, ci.IssuerKey, ci.Tags = meta.JWT, meta.IssuerKey, meta.Tags
	}
	if closed {
		// The user JWT's name; with auth=1 a named account's tag instead.
		ci.NameTag = meta.NameTag
	}
	if q.Username {
		ci.AuthorizedUser = meta.User
		acc := meta.Account
		if closed {
			acc = closedAccount(st)
		}
		if acc != "" && acc != auth.GlobalAccount {
			ci.Account = acc
		}
		if !closed || acc != "" {
			ci.NameTag = accountNameTag(o, acc)
		}
	}
	if q.Subscriptions || q.SubscriptionsDetail {
		subs := st.ClosedSubs()
		if !closed {
			subs = nil
			if live != nil {
				subs = live.Subs
			}
		}
		if q.SubscriptionsDetail {
			for _, sub := range subs {
				d := monitor.SubDetail{Subject: sub.Subject, Queue: sub.Queue, Sid: subSID(sub), Msgs: sub.Msgs,
					Max: sub.Max, Cid: st.CID}
				if closed {
					// nats-server names the account of a closed
					// connection's subscriptions.
					d.Account, d.AccountTag = meta.Account, accountNameTag(o, meta.Account)
				}
				ci.SubsDetail = append(ci.SubsDetail, d)
			}
		} else {
			for _, sub := range subs {
				ci.Subs = append(ci.Subs, sub.Subject)
			}
		}
	}
	return ci
}

// accountNameTag is nats-server's name tag of an account: the name in its
// JWT (operator mode), else its name.
func accountNameTag(o *config.Options, name string) string {
	for _, a := range o.Accounts {
		if a.Name == name && a.Claims != nil && a.Claims.Name != "" {
			return a.Claims.Name
		}
	}
	return name
}

// subSID is a subscription's sid; a leaf's interest has none, and
// nats-server names it by its subject and queue.
func subSID(sub conn.SubInfo) string {
	switch {
	case sub.SID != "":
		return sub.SID
	case sub.Queue != "":
		return sub.Subject + " " + sub.Queue
	}
	return sub.Subject
}

// rttString formats an RTT as nats-server does: to the microsecond between
// 1 µs and 1 ms; "0s" before the first measurement.
func rttString(d time.Duration) string {
	if d > time.Microsecond && d < time.Millisecond {
		d = d.Truncate(time.Microsecond)
	}
	return d.String()
}

// tlsVersion names a TLS version as nats-server does.
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "1.0"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return fmt.Sprintf("Unknown [0x%x]", v)
}

// peerCerts describes the peer's certificates: subject and SHA-256 digests
// of the public key and of the whole certificate, in hex.
func peerCerts(certs []*x509.Certificate) []*monitor.TLSPeerCert {
	if len(certs) == 0 {
		return nil
	}
	out := make([]*monitor.TLSPeerCert, len(certs))
	for i, c := range certs {
		spki, raw := sha256.Sum256(c.RawSubjectPublicKeyInfo), sha256.Sum256(c.Raw)
		out[i] = &monitor.TLSPeerCert{Subject: c.Subject.String(), SubjectPKISha256: hex.EncodeToString(spki[:]),
			CertSha256: hex.EncodeToString(raw[:])}
	}
	return out
}

// notReady is nats-server's health verdict when its listeners are closed
// (lame duck mode, shutdown): those that should be up and are not.
func (s *Server) notReady() error {
	o, _ := s.current()
	down := []string{"server"}
	if o.LeafNode.Port != 0 {
		down = append(down, "leafnode")
	}
	if o.Websocket.Enabled() {
		down = append(down, "websocket")
	}
	return fmt.Errorf("failed to be ready for connections after 1ms: %s", strings.Join(down, ", "))
}

// cpuSampler reads the process's resident memory and CPU use from /proc, as
// nats-server reports them (CPU in percent since the previous sample).
type cpuSampler struct {
	mu       sync.Mutex
	lastCPU  float64 // seconds of CPU time
	lastWall time.Time
	last     float64
}

func (c *cpuSampler) sample() (rss int64, cpu float64) {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseInt(f[1], 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return rss, 0
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return rss, 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	const ticks = 100 // USER_HZ on Linux
	total := (utime + stime) / ticks
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.lastWall.IsZero() {
		if dt := now.Sub(c.lastWall).Seconds(); dt > 0.5 {
			c.last = 100 * (total - c.lastCPU) / dt
			c.lastCPU, c.lastWall = total, now
		}
	} else {
		c.lastCPU, c.lastWall = total, now
	}
	return rss, c.last
}

// tlsTimeout is a tls block's handshake timeout in seconds for /varz
// (nats-server's 2 s default when there is no block).
func tlsTimeout(t *config.TLSOpts) float64 {
	if t == nil {
		return config.DefaultTLSTimeout.Seconds()
	}
	return t.Timeout.Seconds()
}
