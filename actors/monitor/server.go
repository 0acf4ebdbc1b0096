// Package monitor serves leafhub's HTTP monitoring endpoints. With
// nats-server's paths, query options and JSON field names: /varz, /connz,
// /leafz, /subsz (also /subscriptionsz), /accountz and /healthz. leafhub's
// own: /remotez (every configured remote and its dial state), /actorz (the
// live actor tree with restart counts) and /metrics in Prometheus format:
// the /varz and /leafz figures under prometheus-nats-exporter's names, plus
// per-remote series and actor series by kind.
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
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
		`<li><a href="leafz">leafz</a></li><li><a href="subsz">subsz</a></li>` +
		`<li><a href="accountz">accountz</a></li><li><a href="remotez">remotez</a></li>` +
		`<li><a href="healthz">healthz</a></li><li><a href="metrics">metrics</a></li>` +
		`<li><a href="actorz">actorz</a></li></ul></body></html>`))
}

func (s *Server) handleVarz(w http.ResponseWriter, r *http.Request) {
	v := s.src.Varz()
	v.HTTPReqStats = s.RequestStats()
	writeJSON(w, http.StatusOK, v)
}

// params reads query parameters as nats-server decodes them; the first bad
// one is kept as err (with nats-server's wording), and later reads become
// no-ops, so a handler checks err once.
type params struct {
	q   url.Values
	err error
}

// bool reads a boolean as strconv.ParseBool does (1, t, true, 0, f, false, ...).
func (p *params) bool(name string) bool {
	v := p.q.Get(name)
	if p.err != nil || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.err = fmt.Errorf("Error decoding boolean for '%s': %v", name, err)
	}
	return b
}

func (p *params) int(name string) int {
	v := p.q.Get(name)
	if p.err != nil || v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.err = fmt.Errorf("Error decoding int for '%s': %v", name, err)
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
		p.err = fmt.Errorf("Error decoding uint64 for '%s': %v", name, err)
	}
	return n
}

// subs reads /connz's subs: detail (any case) or a boolean.
func (p *params) subs() (subs, detail bool) {
	if strings.EqualFold(p.q.Get("subs"), "detail") {
		return false, true
	}
	return p.bool("subs"), false
}

// state reads /connz's state, in any case: open (the default), closed, or
// any (all). This is the only place it is normalised: the Source gets
// "open", "closed" or "any".
func (p *params) state() string {
	v := p.q.Get("state")
	if p.err != nil || v == "" {
		return "open"
	}
	switch l := strings.ToLower(v); l {
	case "open", "closed":
		return l
	case "any", "all":
		return "any"
	}
	p.err = fmt.Errorf("Error decoding state for %s", v)
	return ""
}

// answer writes v, or err as a bad request.
func answer[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		badRequest(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// badRequest answers 400 with the error's text, as nats-server does (plain
// text, no CORS header).
func badRequest(w http.ResponseWriter, err error) {
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(err.Error()))
}

func (s *Server) handleConnz(w http.ResponseWriter, r *http.Request) {
	// In nats-server's order, so the first bad parameter is the one named.
	p := &params{q: r.URL.Query()}
	opts := ConnzOptions{Sort: p.q.Get("sort"), Username: p.bool("auth")}
	opts.Subscriptions, opts.SubscriptionsDetail = p.subs()
	opts.Offset, opts.Limit, opts.CID = p.int("offset"), p.int("limit"), p.uint64("cid")
	opts.State = p.state()
	opts.User, opts.Account = p.q.Get("user"), p.q.Get("acc")
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

// handleHealthz answers as nats-server without JetStream: 200 {"status":"ok"}
// while the listeners are up, 500 with the reason otherwise (lame duck mode
// included). Its JetStream options are checked for syntax and otherwise
// answer the same, as nats-server does when JetStream is off.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	p := &params{q: r.URL.Query()}
	for _, name := range []string{"js-enabled", "js-enabled-only", "js-server-only", "js-meta-only"} {
		p.bool(name)
	}
	details := p.bool("details")
	if p.err != nil {
		badRequest(w, p.err)
		return
	}
	h := &Healthz{Status: "ok"}
	code := http.StatusOK
	fail := func(status int, typ string, err string) {
		code = status
		h.Status = "error"
		if details {
			h.Errors = append(h.Errors, HealthzError{Type: typ, Error: err})
		} else {
			h.Error = err
		}
	}
	switch {
	case p.q.Get("account") == "" && p.q.Get("stream") != "":
		fail(http.StatusBadRequest, "BAD_REQUEST", `"account" must not be empty when checking stream health`)
	case p.q.Get("stream") == "" && p.q.Get("consumer") != "":
		fail(http.StatusBadRequest, "BAD_REQUEST", `"stream" must not be empty when checking consumer health`)
	default:
		if err := s.src.Healthz(); err != nil {
			fail(http.StatusInternalServerError, "CONNECTION", err.Error())
		}
	}
	// As nats-server: compact JSON, the code only in the HTTP status.
	b, err := json.Marshal(h)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, code, b)
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
	writeBody(w, code, b)
}

// writeBody sends a JSON answer with nats-server's headers: browsers may
// read it from any origin.
func writeBody(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
