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
// to the process given, or, without one, to the only running leafhub. As in
// nats-server, a PID ending in `*` selects every running leafhub whose pid
// starts with the digits before it (`ldm=*` signals them all).
func sendSignal(arg string) error {
	parts := strings.Split(arg, "=")
	if len(parts) > 2 {
		return fmt.Errorf("invalid signal parameters: %v", parts[2:])
	}
	cmd, target := parts[0], ""
	if len(parts) == 2 {
		target = parts[1]
	}
	sig, ok := signalCommands[cmd]
	if !ok {
		return fmt.Errorf("unknown signal %q (want one of stop, quit, term, reopen, reload, ldm)", cmd)
	}
	pids, err := resolvePIDs(target)
	if err != nil {
		return err
	}
	var errs []error
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			errs = append(errs, fmt.Errorf("signal %s to pid %d: %w", cmd, pid, err))
		}
	}
	return errors.Join(errs...)
}

// resolvePIDs reads a pid or a pid file, or finds the running leafhub
// processes: the only one (no target), or those a `PREFIX*` glob selects.
func resolvePIDs(target string) ([]int, error) {
	prefix, glob := strings.CutSuffix(target, "*")
	if !glob && target != "" {
		if pid, err := strconv.Atoi(target); err == nil {
			return []int{pid}, nil
		}
		b, err := os.ReadFile(target)
		if err != nil {
			return nil, fmt.Errorf("read pid file: %w", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("pid file %s does not hold a pid: %w", target, err)
		}
		return []int{pid}, nil
	}
	if _, err := strconv.Atoi(prefix); prefix != "" && err != nil {
		return nil, fmt.Errorf("invalid pid: %s", prefix)
	}
	running, err := runningLeafhubs()
	if err != nil {
		return nil, err
	}
	var found []int
	for _, pid := range running {
		if strings.HasPrefix(strconv.Itoa(pid), prefix) {
			found = append(found, pid)
		}
	}
	switch {
	case len(running) == 0:
		return nil, errors.New("no leafhub process found")
	case len(found) == 0 && glob:
		return nil, nil // as nats-server: a glob that matches no running leafhub signals nothing
	case len(found) == 0:
		return nil, errors.New("no leafhub process found")
	case len(found) > 1 && !glob:
		return nil, fmt.Errorf("%d leafhub processes found (%v): give a pid, a pid file or PID*", len(found), found)
	}
	return found, nil
}

// runningLeafhubs lists the pids of the other processes running a binary
// named leafhub.
func runningLeafhubs() ([]int, error) {
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("find leafhub: %w (give a pid or pid file)", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && filepath.Base(exe) == "leafhub" {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
