package hub

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// parent is a supervising actor whose children are spawned on request. The
// hub actor and the accounts supervisor are parents; what differs is the
// strategy their props carry.
type parent struct{}

// spawnChild asks a parent to spawn a named child.
type spawnChild struct {
	props *actor.Props
	name  string
	reply chan spawned
}

type spawned struct {
	pid *actor.PID
	err error
}

func (p *parent) Receive(c actor.Context) {
	if m, ok := c.Message().(*spawnChild); ok {
		pid, err := c.SpawnNamed(m.props, m.name)
		m.reply <- spawned{pid, err}
	}
}

// restartPolicy restarts a failed child, at most max times within a minute;
// beyond that the child is stopped.
func restartPolicy(max int) actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(max, time.Minute, actor.DefaultDecider)
}

// spawnUnder spawns a child of parent pid and waits for its PID.
func spawnUnder(root *actor.RootContext, pid *actor.PID, props *actor.Props, name string) (*actor.PID, error) {
	reply := make(chan spawned, 1)
	root.Send(pid, &spawnChild{props: props, name: name, reply: reply})
	select {
	case r := <-reply:
		if r.err != nil {
			return nil, fmt.Errorf("spawn %s: %w", name, r.err)
		}
		return r.pid, nil
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("spawn %s: parent %s did not answer", name, pid.Id)
	}
}
