package main

import (
	"fmt"
	"os"
	"strings"
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

// newLogger builds the nats-server-like human format:
//
//	[1234] 2026/12/01 19:17:07.123456 [INF] server is ready {"server_id": "N..."}
//
// The structured fields follow the message. logtime false drops the time.
func newLogger(level zapcore.Level, logtime bool, file string) (*zap.Logger, func(), error) {
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
	out := zapcore.Lock(os.Stderr)
	closeFn := func() {}
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file %s: %w", file, err)
		}
		out = zapcore.Lock(f)
		closeFn = func() { _ = f.Close() }
	}
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), out, level)
	return zap.New(core), closeFn, nil
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
