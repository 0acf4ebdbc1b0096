package hub

import (
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
		Cores: runtime.NumCPU(), MaxProcs: runtime.GOMAXPROCS(0), ConfigLoadTime: s.start,
		SystemAccount:        env.SystemAccount,
		LeafNode:             s.leafVarz(o),
		SlowConsumersStats:   &monitor.SlowConsumersStats{},
		StaleConnectionStats: &monitor.StaleConnectionStats{},
	}
	if w := &o.Websocket; w.Enabled() {
		v.Websocket = &monitor.WebsocketVarz{Host: w.Host, Port: w.Port, HandshakeTimeout: w.HandshakeTimeout,
			NoTLS: w.NoTLS, TLSMap: w.TLS != nil && w.TLS.Map, SameOrigin: w.SameOrigin,
			AllowedOrigins: w.AllowedOrigins, Compression: w.Compression}
		if a := s.WebsocketAddr(); a != nil {
			v.Websocket.Port = a.Port
		}
	}
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

// Connz reports /connz.
func (s *Server) Connz(q monitor.ConnzOptions) (*monitor.Connz, error) {
	l, err := s.connections()
	if err != nil {
		return nil, err
	}
	var states []*conn.State
	switch q.State {
	case "", "open":
		states = l.Open
	case "closed":
		states = l.Closed
	case "any", "all":
		states = append(append(states, l.Open...), l.Closed...)
	default:
		return nil, fmt.Errorf("invalid connection state %q", q.State)
	}
	now := time.Now()
	infos := make([]*monitor.ConnInfo, 0, len(states))
	for _, st := range states {
		if q.CID != 0 && st.CID != q.CID {
			continue
		}
		if q.Account != "" && st.Meta().Account != q.Account {
			continue
		}
		ci := connInfo(st, now, q.Username)
		if q.Subscriptions {
			ci.Subs = s.subjects(st)
		}
		infos = append(infos, ci)
	}
	if err := sortConns(infos, q.Sort); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = monitor.DefaultConnzLimit
	}
	total := len(infos)
	off := min(max(q.Offset, 0), total)
	end := min(off+limit, total)
	return &monitor.Connz{ID: s.id, Now: now, NumConns: end - off, Total: total, Offset: off, Limit: limit,
		Conns: infos[off:end]}, nil
}

func connInfo(st *conn.State, now time.Time, withAuth bool) *monitor.ConnInfo {
	meta := st.Meta()
	ci := &monitor.ConnInfo{
		Cid: st.CID, Kind: st.Kind.String(), Type: "nats", IP: st.Remote.Addr().String(), Port: int(st.Remote.Port()),
		Start: st.Start, LastActivity: st.LastActivity(), Uptime: uptime(now.Sub(st.Start)),
		Idle: uptime(now.Sub(st.LastActivity())), NumSubs: uint32(st.NumSubs()),
		Name: meta.Name, Lang: meta.Lang, Version: meta.Version,
	}
	if withAuth {
		// As nats-server: only on request, and the global account unnamed.
		ci.AuthorizedUser = meta.User
		// An account without a JWT name tag is tagged by its name; closed
		// connections of the global account carry none (as nats-server).
		if st.Stop().IsZero() || meta.Account != auth.GlobalAccount {
			ci.NameTag = meta.Account
		}
		if meta.Account != auth.GlobalAccount {
			ci.Account = meta.Account
		}
	}
	if rtt := st.RTT(); rtt > 0 {
		ci.RTT = rtt.String()
	}
	if ep := st.Endpoint(); ep != nil {
		ci.InMsgs, ci.InBytes = ep.InMsgs.Load(), ep.InBytes.Load()
		ci.OutMsgs, ci.OutBytes, ci.Pending = ep.Out.Stats()
	}
	if stop := st.Stop(); !stop.IsZero() {
		ci.Stop = &stop
		ci.Reason = st.Reason().String()
		ci.Uptime = uptime(stop.Sub(st.Start))
	}
	return ci
}

func sortConns(c []*monitor.ConnInfo, by string) error {
	var less func(a, b *monitor.ConnInfo) bool
	switch by {
	case "", "cid":
		less = func(a, b *monitor.ConnInfo) bool { return a.Cid < b.Cid }
	case "start":
		less = func(a, b *monitor.ConnInfo) bool { return a.Start.Before(b.Start) }
	case "subs":
		less = func(a, b *monitor.ConnInfo) bool { return a.NumSubs > b.NumSubs }
	case "pending":
		less = func(a, b *monitor.ConnInfo) bool { return a.Pending > b.Pending }
	case "msgs_to":
		less = func(a, b *monitor.ConnInfo) bool { return a.OutMsgs > b.OutMsgs }
	case "msgs_from":
		less = func(a, b *monitor.ConnInfo) bool { return a.InMsgs > b.InMsgs }
	case "bytes_to":
		less = func(a, b *monitor.ConnInfo) bool { return a.OutBytes > b.OutBytes }
	case "bytes_from":
		less = func(a, b *monitor.ConnInfo) bool { return a.InBytes > b.InBytes }
	case "last":
		less = func(a, b *monitor.ConnInfo) bool { return a.LastActivity.After(b.LastActivity) }
	case "idle":
		less = func(a, b *monitor.ConnInfo) bool { return a.LastActivity.Before(b.LastActivity) }
	case "uptime":
		less = func(a, b *monitor.ConnInfo) bool { return a.Start.Before(b.Start) }
	case "stop":
		less = func(a, b *monitor.ConnInfo) bool { return a.Stop != nil && (b.Stop == nil || a.Stop.After(*b.Stop)) }
	case "reason":
		less = func(a, b *monitor.ConnInfo) bool { return a.Reason < b.Reason }
	default:
		return fmt.Errorf("invalid sorting option %q", by)
	}
	sort.SliceStable(c, func(i, j int) bool { return less(c[i], c[j]) })
	return nil
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
