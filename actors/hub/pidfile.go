package hub

import (
	"fmt"
	"os"
	"strconv"
)

// writePidFile writes our pid to path, as nats-server's pid_file (and
// -P/--pid) do: at start and when a reload names another file. Shutdown
// removes every file written (nats-server leaves them).
func (s *Server) writePidFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	s.pidFiles = append(s.pidFiles, path)
	return nil
}

// removePidFiles removes the pid files written (at shutdown).
func (s *Server) removePidFiles() {
	for _, p := range s.pidFiles {
		_ = os.Remove(p)
	}
}
