// Package monitor serves leafhub's HTTP monitoring endpoints: nats-server's
// /varz, /connz and /healthz with its JSON field names, /metrics in
// Prometheus format (the /varz figures under prometheus-nats-exporter's
// names, plus actor series by kind) and /actorz, the live actor tree.
//
// # Concurrency
//
// Handlers run on net/http goroutines. They never touch actor state: they
// call the Source, which asks actors with timeouts or reads atomics.
package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/obs"
)

// Source is what the endpoints report on; the hub implements it.
type Source interface {
	Varz() *Varz
	Connz(ConnzOptions) (*Connz, error)
	Leafz(LeafzOptions) (*Leafz, error)
	Subsz(SubszOptions) (*Subsz, error)
	Accountz(account string) (*Accountz, error)
	Remotez() any
	Healthz() error
	Actors() *obs.Registry
}

// Server is the monitoring HTTP server.
type Server struct {
	src   Source
	ln    net.Listener
	http  *http.Server
	reg   *prometheus.Registry
	log   *zap.Logger
	mu    sync.Mutex
	stats map[string]uint64 // requests per path, guarded by mu
	done  chan struct{}
}

// Paths served, as nats-server names them.
const (
	RootPath     = "/"
	VarzPath     = "/varz"
	ConnzPath    = "/connz"
	LeafzPath    = "/leafz"
	SubszPath    = "/subsz"
	AccountzPath = "/accountz"
	RemotezPath  = "/remotez"
	HealthzPath  = "/healthz"
	MetricsPath  = "/metrics"
	ActorzPath   = "/actorz"
)

// New returns a server on an open listener. reg is the Prometheus registry
// /metrics serves; the server adds its own collectors to it.
func New(ln net.Listener, src Source, reg *prometheus.Registry, metricsPrefix string, perActor bool, log *zap.Logger) *Server {
	s := &Server{src: src, ln: ln, reg: reg, log: log, stats: make(map[string]uint64), done: make(chan struct{})}
	reg.MustRegister(&varzCollector{src: src, prefix: metricsPrefix}, &actorCollector{reg: src.Actors(), perActor: perActor},
		newLeafzCollector(src, metricsPrefix))
	mux := http.NewServeMux()
	mux.HandleFunc(RootPath, s.counted(RootPath, s.handleRoot))
	mux.HandleFunc(VarzPath, s.counted(VarzPath, s.handleVarz))
	mux.HandleFunc(ConnzPath, s.counted(ConnzPath, s.handleConnz))
	mux.HandleFunc(LeafzPath, s.counted(LeafzPath, s.handleLeafz))
	mux.HandleFunc(SubszPath, s.counted(SubszPath, s.handleSubsz))
	mux.HandleFunc("/subscriptionsz", s.counted(SubszPath, s.handleSubsz))
	mux.HandleFunc(AccountzPath, s.counted(AccountzPath, s.handleAccountz))
	mux.HandleFunc(RemotezPath, s.counted(RemotezPath, s.handleRemotez))
	mux.HandleFunc(HealthzPath, s.counted(HealthzPath, s.handleHealthz))
	mux.HandleFunc(ActorzPath, s.counted(ActorzPath, s.handleActorz))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux.HandleFunc(MetricsPath, s.counted(MetricsPath, metrics.ServeHTTP))
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Serve runs the server until Shutdown; it returns at once.
func (s *Server) Serve() {
	go func() {
		defer close(s.done)
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("monitoring server stopped", zap.Error(err))
		}
	}()
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops the server, waiting for handlers until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}

// RequestStats returns how many requests each path received.
func (s *Server) RequestStats() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

func (s *Server) counted(path string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats[path]++
		s.mu.Unlock()
		h(w, r)
	}
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != RootPath {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<html><body><h1>leafhub</h1><ul>` +
		`<li><a href="varz">varz</a></li><li><a href="connz">connz</a></li>` +
		`<li><a href="leafz">leafz</a></li><li><a href="remotez">remotez</a></li>` +
		`<li><a href="healthz">healthz</a></li><li><a href="metrics">metrics</a></li>` +
		`<li><a href="actorz">actorz</a></li></ul></body></html>`))
}

func (s *Server) handleVarz(w http.ResponseWriter, r *http.Request) {
	v := s.src.Varz()
	v.HTTPReqStats = s.RequestStats()
	writeJSON(w, http.StatusOK, v)
}

// params reads query parameters; the first bad one is kept as err, and
// later reads become no-ops, so a handler checks err once.
type params struct {
	q   url.Values
	err error
}

// bool reads a nats-server style boolean (1/true/0/false; extra values,
// such as subs=detail, count as true).
func (p *params) bool(name string, extra ...string) bool {
	v := p.q.Get(name)
	switch {
	case p.err != nil, v == "", v == "0", v == "false":
		return false
	case v == "1", v == "true", slices.Contains(extra, v):
		return true
	}
	p.err = errors.New("invalid value for " + name)
	return false
}

func (p *params) int(name string) int {
	v := p.q.Get(name)
	if p.err != nil || v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.err = errors.New("invalid value for " + name)
	}
	return n
}

func (p *params) uint64(name string) uint64 {
	v := p.q.Get(name)
	if p.err != nil || v == "" {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		p.err = errors.New("invalid value for " + name)
	}
	return n
}

// answer writes v, or err as a bad request.
func answer[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleConnz(w http.ResponseWriter, r *http.Request) {
	p := &params{q: r.URL.Query()}
	opts := ConnzOptions{Sort: p.q.Get("sort"), Account: p.q.Get("acc"), State: p.q.Get("state"),
		Subscriptions: p.bool("subs", "detail"), Username: p.bool("auth"),
		Offset: p.int("offset"), Limit: p.int("limit"), CID: p.uint64("cid")}
	if p.err != nil {
		answer[*Connz](w, nil, p.err)
		return
	}
	c, err := s.src.Connz(opts)
	answer(w, c, err)
}

func (s *Server) handleLeafz(w http.ResponseWriter, r *http.Request) {
	p := &params{q: r.URL.Query()}
	opts := LeafzOptions{Account: p.q.Get("acc"), Subscriptions: p.bool("subs")}
	if p.err != nil {
		answer[*Leafz](w, nil, p.err)
		return
	}
	z, err := s.src.Leafz(opts)
	answer(w, z, err)
}

func (s *Server) handleSubsz(w http.ResponseWriter, r *http.Request) {
	p := &params{q: r.URL.Query()}
	opts := SubszOptions{Account: p.q.Get("acc"), Test: p.q.Get("test"),
		Subscriptions: p.bool("subs"), Offset: p.int("offset"), Limit: p.int("limit")}
	if p.err != nil {
		answer[*Subsz](w, nil, p.err)
		return
	}
	z, err := s.src.Subsz(opts)
	answer(w, z, err)
}

func (s *Server) handleAccountz(w http.ResponseWriter, r *http.Request) {
	z, err := s.src.Accountz(r.URL.Query().Get("acc"))
	answer(w, z, err)
}

func (s *Server) handleRemotez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.src.Remotez())
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if err := s.src.Healthz(); err != nil {
		// As nats-server: the code is the HTTP status, not part of the JSON.
		writeJSON(w, http.StatusServiceUnavailable, &Healthz{Status: "unavailable", Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, &Healthz{Status: "ok"})
}

func (s *Server) handleActorz(w http.ResponseWriter, r *http.Request) {
	reg := s.src.Actors()
	writeJSON(w, http.StatusOK, struct {
		Now    time.Time       `json:"now"`
		Kinds  []obs.KindStats `json:"kinds"`
		Actors []obs.Actor     `json:"actors"`
	}{time.Now(), reg.Kinds(), reg.Actors()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
