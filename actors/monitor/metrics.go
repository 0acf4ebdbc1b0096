package monitor

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leafhub/leafhub/actors/obs"
)

// varzCollector exports /varz the way prometheus-nats-exporter does: every
// numeric top-level field becomes the gauge <prefix>_varz_<field> with a
// server_id label, and server_id, server_name and version become gauges of
// value 1 carrying the text in a "value" label. Dashboards built on the
// exporter keep working.
type varzCollector struct {
	src    Source
	prefix string
}

// varzLabelFields are the text fields exported as labels.
var varzLabelFields = map[string]bool{"server_id": true, "server_name": true, "version": true}

func (c *varzCollector) Describe(chan<- *prometheus.Desc) {} // unchecked: fields follow /varz

func (c *varzCollector) Collect(ch chan<- prometheus.Metric) {
	v := c.src.Varz()
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := prometheus.BuildFQName(c.prefix, "varz", k)
		switch x := fields[k].(type) {
		case float64:
			d := prometheus.NewDesc(name, k, []string{"server_id"}, nil)
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, v.ID)
		case string:
			if varzLabelFields[k] {
				d := prometheus.NewDesc(name, k, []string{"server_id", "value"}, nil)
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 1, v.ID, x)
			}
		}
	}
}

// Actor series, aggregated by actor kind (never per actor id: cardinality).
var (
	actorsDesc   = prometheus.NewDesc("leafhub_actors", "Live actors by kind.", []string{"kind"}, nil)
	depthDesc    = prometheus.NewDesc("leafhub_actor_mailbox_depth", "Queued user messages, summed over the actors of a kind.", []string{"kind"}, nil)
	maxDepthDesc = prometheus.NewDesc("leafhub_actor_mailbox_depth_max", "Deepest mailbox among the actors of a kind.", []string{"kind"}, nil)
	restartsDesc = prometheus.NewDesc("leafhub_actor_restarts_total", "Actor restarts decided by supervisors.", []string{"kind"}, nil)
	stopsDesc    = prometheus.NewDesc("leafhub_actor_stops_total", "Actors stopped by supervisors after a failure.", []string{"kind"}, nil)
	failuresDesc = prometheus.NewDesc("leafhub_actor_failures_total", "Actor failures (panics) seen by supervisors.", []string{"kind"}, nil)
)

// Per-actor series: only with `leafhub { per_actor_metrics: true }`
// (one series per connection: mind the cardinality).
var (
	actorDepthDesc    = prometheus.NewDesc("leafhub_actor_mailbox_depth_by_actor", "Queued user messages of one actor.", []string{"actor", "kind"}, nil)
	actorFailuresDesc = prometheus.NewDesc("leafhub_actor_failures_by_actor", "Failures of one actor (survives its restarts).", []string{"actor", "kind"}, nil)
)

type actorCollector struct {
	reg      *obs.Registry
	perActor bool
}

func (c *actorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{actorsDesc, depthDesc, maxDepthDesc, restartsDesc, stopsDesc, failuresDesc} {
		ch <- d
	}
	if c.perActor {
		ch <- actorDepthDesc
		ch <- actorFailuresDesc
	}
}

func (c *actorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, k := range c.reg.Kinds() {
		ch <- prometheus.MustNewConstMetric(actorsDesc, prometheus.GaugeValue, float64(k.Live), k.Kind)
		ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(k.MailboxDepth), k.Kind)
		ch <- prometheus.MustNewConstMetric(maxDepthDesc, prometheus.GaugeValue, float64(k.MaxDepth), k.Kind)
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(k.Restarts), k.Kind)
		ch <- prometheus.MustNewConstMetric(stopsDesc, prometheus.CounterValue, float64(k.Stops), k.Kind)
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(k.Failures), k.Kind)
	}
	if !c.perActor {
		return
	}
	for _, a := range c.reg.Actors() {
		ch <- prometheus.MustNewConstMetric(actorDepthDesc, prometheus.GaugeValue, float64(a.Mailbox), a.ID, a.Kind)
		ch <- prometheus.MustNewConstMetric(actorFailuresDesc, prometheus.CounterValue, float64(a.Failures), a.ID, a.Kind)
	}
}

// leafzCollector exports /leafz under prometheus-nats-exporter's names
// (<prefix>_leafz_conn_rtt, ..._conn_in_msgs, ...; labels server_id,
// account, account_id, ip, port, name) plus leafhub's per-leaf interest
// counters and the status of each configured remote.
type leafzCollector struct {
	src                                       Source
	total, info, rtt, inMsgs, outMsgs         *prometheus.Desc
	inBytes, outBytes, subs                   *prometheus.Desc
	announced, lsPlusIn, lsMinusIn, lsPlusOut *prometheus.Desc
	lsMinusOut                                *prometheus.Desc
	remote                                    remoteDescs
}

// remoteDescs are the series of each configured remote, labelled by its
// position in leafnodes.remotes (as /remotez's index) and local account.
type remoteDescs struct {
	state, attempts, connects, nextAttempt, lastDisconnect *prometheus.Desc
}

func newLeafzCollector(src Source, prefix string) *leafzCollector {
	labels := []string{"server_id", "account", "account_id", "ip", "port", "name"}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(prefix, "leafz", name), help, labels, nil)
	}
	own := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("leafhub_leaf_"+name, help, labels, nil)
	}
	return &leafzCollector{
		src:        src,
		total:      prometheus.NewDesc(prometheus.BuildFQName(prefix, "leafz", "conn_nodes_total"), "nodes_total", []string{"server_id"}, nil),
		info:       d("info", "info"),
		rtt:        d("conn_rtt", "rtt"),
		inMsgs:     d("conn_in_msgs", "in_msgs"),
		outMsgs:    d("conn_out_msgs", "out_msgs"),
		inBytes:    d("conn_in_bytes", "in_bytes"),
		outBytes:   d("conn_out_bytes", "out_bytes"),
		subs:       d("conn_subscriptions_total", "subscriptions_total"),
		announced:  own("interest_announced", "Interest keys announced to the peer (smap size)."),
		lsPlusIn:   own("ls_plus_in_total", "LS+ received from the peer."),
		lsMinusIn:  own("ls_minus_in_total", "LS- received from the peer."),
		lsPlusOut:  own("ls_plus_out_total", "LS+ sent to the peer."),
		lsMinusOut: own("ls_minus_out_total", "LS- sent to the peer."),
		remote:     newRemoteDescs(),
	}
}

func newRemoteDescs() remoteDescs {
	labels := []string{"remote", "local_account"}
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("leafhub_remote_"+name, help, append(labels, extra...), nil)
	}
	return remoteDescs{
		state:       d("state", "1 for the state a configured remote is in.", "state"),
		attempts:    d("attempts", "Connect attempts since the remote's last connection."),
		connects:    d("connects_total", "Connections of the remote that the hub accepted."),
		nextAttempt: d("next_attempt_timestamp_seconds", "When the remote dials next (Unix time); 0 when no dial is scheduled."),
		lastDisconnect: d("last_disconnect", "1, with the reason of the remote's last disconnect or failed dial "+
			"(empty once the hub accepts a connection).", "reason"),
	}
}

func (c *leafzCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.info, c.rtt, c.inMsgs, c.outMsgs, c.inBytes, c.outBytes, c.subs,
		c.announced, c.lsPlusIn, c.lsMinusIn, c.lsPlusOut, c.lsMinusOut,
		c.remote.state, c.remote.attempts, c.remote.connects, c.remote.nextAttempt, c.remote.lastDisconnect} {
		ch <- d
	}
}

func (c *leafzCollector) Collect(ch chan<- prometheus.Metric) {
	z, err := c.src.Leafz(LeafzOptions{})
	if err != nil {
		return
	}
	g := prometheus.GaugeValue
	ch <- prometheus.MustNewConstMetric(c.total, g, float64(z.NumLeafs), z.ID)
	for _, l := range z.Leafs {
		lv := []string{z.ID, l.Account, l.Account, l.IP, strconv.Itoa(l.Port), l.Name}
		rtt, _ := time.ParseDuration(l.RTT)
		for _, m := range []struct {
			d *prometheus.Desc
			t prometheus.ValueType
			v float64
		}{
			{c.info, g, 1}, {c.rtt, g, rtt.Seconds()}, {c.inMsgs, g, float64(l.InMsgs)}, {c.outMsgs, g, float64(l.OutMsgs)},
			{c.inBytes, g, float64(l.InBytes)}, {c.outBytes, g, float64(l.OutBytes)}, {c.subs, g, float64(l.NumSubs)},
			{c.announced, g, float64(l.Announced)},
			{c.lsPlusIn, prometheus.CounterValue, float64(l.LSPlusIn)}, {c.lsMinusIn, prometheus.CounterValue, float64(l.LSMinusIn)},
			{c.lsPlusOut, prometheus.CounterValue, float64(l.LSPlusOut)}, {c.lsMinusOut, prometheus.CounterValue, float64(l.LSMinusOut)},
		} {
			ch <- prometheus.MustNewConstMetric(m.d, m.t, m.v, lv...)
		}
	}
	if rs, ok := c.src.Remotez().(interface{ Metrics() []RemoteMetric }); ok {
		for _, r := range rs.Metrics() {
			c.remote.collect(ch, r)
		}
	}
}

func (d *remoteDescs) collect(ch chan<- prometheus.Metric, r RemoteMetric) {
	lv := []string{strconv.Itoa(r.Index), r.LocalAccount}
	var next float64
	if !r.NextAttempt.IsZero() {
		next = float64(r.NextAttempt.UnixNano()) / 1e9
	}
	g := prometheus.GaugeValue
	ch <- prometheus.MustNewConstMetric(d.state, g, 1, append(lv, r.State)...)
	ch <- prometheus.MustNewConstMetric(d.attempts, g, float64(r.Attempts), lv...)
	ch <- prometheus.MustNewConstMetric(d.connects, prometheus.CounterValue, float64(r.Connects), lv...)
	ch <- prometheus.MustNewConstMetric(d.nextAttempt, g, next, lv...)
	ch <- prometheus.MustNewConstMetric(d.lastDisconnect, g, 1, append(lv, r.Reason)...)
}

// RemoteMetric is one configured remote as /metrics reports it. Index is
// its position in leafnodes.remotes, which a reload keeps for a remote it
// restarts or leaves alone.
type RemoteMetric struct {
	Index        int
	LocalAccount string
	State        string
	Attempts     int
	Connects     int
	NextAttempt  time.Time // zero when no dial is scheduled
	Reason       string    // of the last disconnect or failed dial; empty once connected
}
