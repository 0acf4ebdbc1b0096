package hub

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// startProfiler serves Go's runtime profiles (net/http/pprof, under
// /debug/pprof/) on host:prof_port, as nats-server's prof_port does. It is
// an operator's tool: the port is meant to stay private.
func (s *Server) startProfiler() error {
	addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(max(s.opts.ProfPort, 0)))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for profiling on %s: %w (change prof_port in the config)", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.prof = &http.Server{Handler: mux, MaxHeaderBytes: 1 << 20, ReadTimeout: 5 * time.Second}
	s.profLn = ln
	go func() { _ = s.prof.Serve(ln) }() // returns when Shutdown closes the listener
	s.log.Info("profiling port", zap.Int("port", ln.Addr().(*net.TCPAddr).Port))
	s.setBlockProfileRate(s.opts.ProfBlockRate)
	return nil
}

// setBlockProfileRate sets the runtime's block profile rate (<= 0 turns it
// off); prof_block_rate applies on reload.
func (s *Server) setBlockProfileRate(rate int) {
	runtime.SetBlockProfileRate(rate)
	if rate > 0 {
		s.log.Warn("block profiling is enabled; it costs throughput", zap.Int("rate", rate))
	}
}

// ProfAddr is the address of the profiling listener (nil when off).
func (s *Server) ProfAddr() *net.TCPAddr {
	if s.profLn == nil {
		return nil
	}
	return s.profLn.Addr().(*net.TCPAddr)
}
