package hub

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/remote"
	"github.com/leafhub/leafhub/actors/route"
)

// maxLameDuckGap caps the wait between two closes, as nats-server does.
const maxLameDuckGap = time.Second

// lameDuckSlack is how long past lame_duck_duration the closes and the final
// shutdown may take before the rest is cut short.
const lameDuckSlack = 15 * time.Second

// LameDuck runs lame duck mode, then shuts down: stop accepting and stop
// re-dialling remotes (their connections stay for now), tell clients (INFO
// ldm), wait the grace period, close the connections one by one spread over
// the rest of lame_duck_duration, and shut down. It returns when the server
// is down; past lame_duck_duration plus slack (or when ctx ends) it shuts
// down at once.
func (s *Server) LameDuck(ctx context.Context) error {
	s.healthy.Store(false)
	s.mu.Lock()
	o, listeners := s.opts, s.lnPIDs
	s.lnPIDs, s.stopping = nil, true
	remotes := make([]*actor.PID, len(s.remotes))
	for i, e := range s.remotes {
		remotes[i] = e.pid
	}
	s.mu.Unlock()
	s.log.Info("entering lame duck mode; no longer accepting connections",
		zap.Duration("duration", o.LameDuckDuration), zap.Duration("grace_period", o.LameDuckGracePeriod))
	ctx, cancel := context.WithTimeout(ctx, o.LameDuckDuration+lameDuckSlack)
	defer cancel()
	root := s.sys.Root
	for _, pid := range listeners {
		_ = root.StopFuture(pid).Wait()
	}
	for _, pid := range remotes {
		root.Send(pid, &remote.Quiesce{})
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
	if !sleepCtx(ctx, o.LameDuckGracePeriod) {
		return s.Shutdown(ctx)
	}
	open := l.Open
	rand.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	span := o.LameDuckDuration - o.LameDuckGracePeriod
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
