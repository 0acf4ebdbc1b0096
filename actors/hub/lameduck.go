package hub

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/route"
)

// maxLameDuckGap caps the wait between two closes, as nats-server does.
const maxLameDuckGap = time.Second

// LameDuck runs lame duck mode, then shuts down: stop accepting and stop
// re-dialling remotes, tell clients (INFO ldm), wait the grace period, close
// the connections one by one spread over the rest of lame_duck_duration, and
// shut down. It returns when the server is down or ctx ends (then it shuts
// down at once).
func (s *Server) LameDuck(ctx context.Context) error {
	s.healthy.Store(false)
	s.log.Info("entering lame duck mode; no longer accepting connections",
		zap.Duration("duration", s.opts.LameDuckDuration), zap.Duration("grace_period", s.opts.LameDuckGracePeriod))
	root := s.sys.Root
	s.mu.Lock()
	listeners, remotes := s.lnPIDs, s.remoteSup
	s.lnPIDs, s.remoteSup = nil, nil
	s.mu.Unlock()
	for _, pid := range listeners {
		_ = root.StopFuture(pid).Wait()
	}
	if remotes != nil {
		_ = root.StopFuture(remotes).Wait()
	}
	l, err := s.connections()
	if err != nil || len(l.Open) == 0 {
		return s.Shutdown(ctx)
	}
	for _, st := range l.Open {
		if st.Kind == route.KindClient {
			root.Send(st.PID(), &conn.LameDuck{})
		}
	}
	if !sleepCtx(ctx, s.opts.LameDuckGracePeriod) {
		return s.Shutdown(ctx)
	}
	open := l.Open
	rand.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	span := s.opts.LameDuckDuration - s.opts.LameDuckGracePeriod
	if span <= 0 {
		span = time.Second
	}
	gap := min(span/time.Duration(len(open)), maxLameDuckGap)
	s.log.Info("closing existing connections", zap.Int("connections", len(open)), zap.Duration("gap", gap))
	for i, st := range open {
		root.Stop(st.PID())
		if i == len(open)-1 {
			break
		}
		wait := gap / 2
		if gap > 1 {
			wait += time.Duration(rand.Int64N(int64(gap / 2)))
		}
		if !sleepCtx(ctx, wait) {
			break
		}
	}
	return s.Shutdown(ctx)
}

// sleepCtx waits d, reporting false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
