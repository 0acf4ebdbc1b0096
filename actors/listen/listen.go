// Package listen implements listener actors: each owns one net.Listener
// through an accept goroutine and hands every accepted socket to a
// connections supervisor.
//
// # Concurrency
//
// The accept goroutine only calls Accept and Root.Send. Stopping the actor
// closes the listener and waits for the goroutine.
package listen

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// Accepted wraps an accepted socket into the message the target expects.
type Accepted func(net.Conn) any

// Listener is the actor of one listening socket.
type Listener struct {
	ln     net.Listener
	target *actor.PID
	wrap   Accepted
	log    *zap.Logger
	wg     sync.WaitGroup
}

// Props returns the props of a listener actor over an open listener.
func Props(ln net.Listener, target *actor.PID, wrap Accepted, log *zap.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &Listener{ln: ln, target: target, wrap: wrap, log: log}
	})
}

// Receive handles one message.
func (l *Listener) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		root := c.ActorSystem().Root
		l.wg.Add(1)
		go l.acceptLoop(root)
	case *actor.Stopping, *actor.Restarting:
		_ = l.ln.Close()
		l.wg.Wait()
	}
}

// Accept back-off for temporary errors (such as running out of file
// descriptors): 5 ms doubling up to 1 s.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

func (l *Listener) acceptLoop(root *actor.RootContext) {
	defer l.wg.Done()
	delay := minAcceptDelay
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("accept failed; retrying", zap.Error(err), zap.Duration("retry_in", delay))
			time.Sleep(delay)
			delay = min(2*delay, maxAcceptDelay)
			continue
		}
		delay = minAcceptDelay
		root.Send(l.target, l.wrap(nc))
	}
}
