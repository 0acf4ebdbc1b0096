package tests

import (
	"os/exec"
	"path/filepath"
	"testing"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/leafhub/leafhub/config"
)

// TestDeployConfigs: every example configuration in deploy/ loads in
// leafhub and in nats-server alike.
func TestDeployConfigs(t *testing.T) {
	files, err := filepath.Glob("../deploy/*.conf")
	docker, _ := filepath.Glob("../deploy/docker/*.conf")
	files = append(files, docker...)
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs in deploy/: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := config.Load(f); err != nil {
				t.Fatalf("leafhub: %v", err)
			}
			if _, err := natsserver.ProcessConfigFile(f); err != nil {
				t.Fatalf("nats-server: %v", err)
			}
			if out, err := exec.Command(leafhubBinary(t), "-t", "-c", f).CombinedOutput(); err != nil {
				t.Fatalf("leafhub -t: %v\n%s", err, out)
			}
		})
	}
}
