package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// TraceLevel is below zap's Debug: nats-server's -V (protocol tracing).
const TraceLevel = zapcore.DebugLevel - 1

// levelTags are nats-server's level markers.
func levelTag(l zapcore.Level) string {
	switch {
	case l <= TraceLevel:
		return "[TRC]"
	case l == zapcore.DebugLevel:
		return "[DBG]"
	case l == zapcore.InfoLevel:
		return "[INF]"
	case l == zapcore.WarnLevel:
		return "[WRN]"
	case l == zapcore.ErrorLevel:
		return "[ERR]"
	default:
		return "[FTL]"
	}
}

// logger is the process logger: nats-server's human format, a level that
// reload can change, and a log file that SIGUSR1 reopens (after rotation).
type logger struct {
	*zap.Logger
	level zap.AtomicLevel
	file  *reopenable // nil when logging to stderr
}

// newLogger builds the nats-server-like human format:
//
//	[1234] 2026/12/01 19:17:07.123456 [INF] server is ready {"server_id": "N..."}
//
// The structured fields follow the message. logtime false drops the time.
func newLogger(level zapcore.Level, logtime bool, file string) (*logger, error) {
	pid := fmt.Sprintf("[%d]", os.Getpid())
	enc := zapcore.EncoderConfig{
		MessageKey:       "msg",
		LevelKey:         "level",
		NameKey:          "logger",
		ConsoleSeparator: " ",
		EncodeLevel: func(l zapcore.Level, pe zapcore.PrimitiveArrayEncoder) {
			if !logtime {
				pe.AppendString(pid)
			}
			pe.AppendString(levelTag(l))
		},
		EncodeName: zapcore.FullNameEncoder,
	}
	if logtime {
		enc.TimeKey = "time"
		enc.EncodeTime = func(t time.Time, pe zapcore.PrimitiveArrayEncoder) {
			pe.AppendString(pid + " " + t.Format("2006/01/02 15:04:05.000000"))
		}
	}
	lg := &logger{level: zap.NewAtomicLevelAt(level)}
	out := zapcore.Lock(os.Stderr)
	if file != "" {
		f, err := openReopenable(file)
		if err != nil {
			return nil, err
		}
		lg.file = f
		out = f
	}
	lg.Logger = zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), out, lg.level))
	return lg, nil
}

func (l *logger) close() {
	_ = l.Sync()
	if l.file != nil {
		_ = l.file.Close()
	}
}

// reopen reopens the log file (SIGUSR1); with no log file it does nothing.
func (l *logger) reopen() error {
	if l.file == nil {
		return nil
	}
	return l.file.reopen()
}

// reopenable is a log file that can be reopened under the same name.
type reopenable struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openReopenable(path string) (*reopenable, error) {
	r := &reopenable{path: path}
	if err := r.reopen(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *reopenable) reopen() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open log file %s: %w", r.path, err)
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	return nil
}

func (r *reopenable) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Write(p)
}

func (r *reopenable) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Sync()
}

func (r *reopenable) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}

// logLevel maps nats-server's debug and trace switches to a level.
func logLevel(debug, trace bool) zapcore.Level {
	switch {
	case trace:
		return TraceLevel
	case debug:
		return zapcore.DebugLevel
	default:
		return zapcore.InfoLevel
	}
}

// indent prefixes every line after the first, for multi-line error reports.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
