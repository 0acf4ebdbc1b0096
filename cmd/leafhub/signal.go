package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// signalCommands are nats-server's --signal commands and what they send.
var signalCommands = map[string]syscall.Signal{
	"stop":   syscall.SIGKILL,
	"quit":   syscall.SIGINT,
	"term":   syscall.SIGTERM,
	"reopen": syscall.SIGUSR1,
	"reload": syscall.SIGHUP,
	"ldm":    syscall.SIGUSR2,
}

// sendSignal runs `leafhub --signal CMD[=PID|PIDFILE]`: it sends CMD's signal
// to the process given, or, without one, to the only running leafhub.
func sendSignal(arg string) error {
	cmd, target, _ := strings.Cut(arg, "=")
	sig, ok := signalCommands[cmd]
	if !ok {
		return fmt.Errorf("unknown signal %q (want one of stop, quit, term, reopen, reload, ldm)", cmd)
	}
	pid, err := resolvePID(target)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %s to pid %d: %w", cmd, pid, err)
	}
	return nil
}

// resolvePID reads a pid, a pid file, or finds the one running leafhub.
func resolvePID(target string) (int, error) {
	if target != "" {
		if pid, err := strconv.Atoi(target); err == nil {
			return pid, nil
		}
		b, err := os.ReadFile(target)
		if err != nil {
			return 0, fmt.Errorf("read pid file: %w", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, fmt.Errorf("pid file %s does not hold a pid: %w", target, err)
		}
		return pid, nil
	}
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("find leafhub: %w (give a pid or pid file)", err)
	}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && filepath.Base(exe) == "leafhub" {
			found = append(found, pid)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return 0, errors.New("no leafhub process found")
	default:
		return 0, fmt.Errorf("%d leafhub processes found (%v): give a pid or pid file", len(found), found)
	}
}

// writePidFile writes our pid, as nats-server's -P/--pid and pid_file do.
func writePidFile(path string) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}
