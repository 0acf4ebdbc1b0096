package listen

import (
	"errors"
	"net"
	"net/http"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// HTTPListener is the actor of a listening socket served by an HTTP
// server (the websocket port: each request is an upgrade the handler
// takes over).
type HTTPListener struct {
	ln   net.Listener
	srv  *http.Server
	log  *zap.Logger
	done chan struct{}
}

// HTTPProps returns the props of an HTTP listener actor over an open
// listener.
func HTTPProps(ln net.Listener, srv *http.Server, log *zap.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &HTTPListener{ln: ln, srv: srv, log: log}
	})
}

// Receive handles one message.
func (l *HTTPListener) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		l.done = make(chan struct{})
		go func() {
			defer close(l.done)
			if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				l.log.Error("http listener stopped", zap.Error(err))
			}
		}()
	case *actor.Stopping, *actor.Restarting:
		// Closes the listener and connections still in their HTTP
		// exchange; upgraded connections belong to their actors.
		_ = l.srv.Close()
		<-l.done
	}
}
