package monitor

import (
	"encoding/json"
	"sort"

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

type actorCollector struct{ reg *obs.Registry }

func (c *actorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{actorsDesc, depthDesc, maxDepthDesc, restartsDesc, stopsDesc, failuresDesc} {
		ch <- d
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
}
