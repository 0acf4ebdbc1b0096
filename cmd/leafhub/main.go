// Command leafhub is a NATS-compatible leaf hub daemon. Its command line is
// nats-server's, for the features leafhub supports:
//
//	leafhub -c leafhub.conf      run until SIGINT or SIGTERM
//	leafhub -t -c leafhub.conf   check the configuration and exit
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/hub"
	"github.com/leafhub/leafhub/config"
)

const usage = `Usage: leafhub [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name, --server_name <name> Server name (default: auto)
    -m, --http_port <port>           Use port for http monitoring
    --profile <port>                 Profiling HTTP port
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -P, --pid <file>                 File to store the process id
    -sl, --signal <cmd>[=<pid>]      Send a signal to a leafhub process (stop, quit, term,
                                     reopen, reload, ldm); <pid> may be a pid file, or
                                     PREFIX* for every leafhub whose pid starts so

Authorization Options:
    --user <user>                    User required for connections
    --pass <password>                Password required for connections
    --auth <token>                   Authorization token required for connections

TLS Options:
    --tls                            Enable TLS, do not verify clients (default: false)
    --tlscert <file>                 Server certificate file
    --tlskey <file>                  Private key for server certificate
    --tlsverify                      Enable TLS, verify client certificates
    --tlscacert <file>               Client certificate CA for verification

Logging Options:
    -l, --log, --log_file <file>     File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`

// shutdownTimeout bounds a graceful stop on SIGINT/SIGTERM.
const shutdownTimeout = 15 * time.Second

type flags struct {
	config, host, name, logFile string
	user, pass, token           string
	tlsCert, tlsKey, tlsCA      string
	tls, tlsVerify              bool
	pidFile, signal             string
	port, httpPort, profPort    int
	debug, trace, dv, logtime   bool
	check, version              bool
	set                         map[string]bool
}

func parseFlags(args []string) (*flags, error) {
	f := &flags{port: -2, httpPort: -2, profPort: -2}
	fs := flag.NewFlagSet("leafhub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range []string{"c", "config"} {
		fs.StringVar(&f.config, n, "", "")
	}
	for _, n := range []string{"a", "addr", "net"} {
		fs.StringVar(&f.host, n, "", "")
	}
	for _, n := range []string{"n", "name", "server_name"} {
		fs.StringVar(&f.name, n, "", "")
	}
	for _, n := range []string{"l", "log", "log_file"} {
		fs.StringVar(&f.logFile, n, "", "")
	}
	for _, n := range []string{"P", "pid"} {
		fs.StringVar(&f.pidFile, n, "", "")
	}
	for _, n := range []string{"sl", "signal"} {
		fs.StringVar(&f.signal, n, "", "")
	}
	for _, n := range []string{"p", "port"} {
		fs.IntVar(&f.port, n, -2, "")
	}
	for _, n := range []string{"m", "http_port"} {
		fs.IntVar(&f.httpPort, n, -2, "")
	}
	fs.IntVar(&f.profPort, "profile", -2, "")
	fs.BoolVar(&f.tls, "tls", false, "")
	fs.BoolVar(&f.tlsVerify, "tlsverify", false, "")
	fs.StringVar(&f.tlsCert, "tlscert", "", "")
	fs.StringVar(&f.tlsKey, "tlskey", "", "")
	fs.StringVar(&f.tlsCA, "tlscacert", "", "")
	fs.StringVar(&f.user, "user", "", "")
	fs.StringVar(&f.pass, "pass", "", "")
	fs.StringVar(&f.token, "auth", "", "")
	for _, n := range []string{"D", "debug"} {
		fs.BoolVar(&f.debug, n, false, "")
	}
	for _, n := range []string{"V", "trace"} {
		fs.BoolVar(&f.trace, n, false, "")
	}
	for _, n := range []string{"T", "logtime"} {
		fs.BoolVar(&f.logtime, n, true, "")
	}
	fs.BoolVar(&f.dv, "DV", false, "")
	fs.BoolVar(&f.check, "t", false, "")
	for _, n := range []string{"v", "version"} {
		fs.BoolVar(&f.version, n, false, "")
	}
	help := false
	for _, n := range []string{"h", "help"} {
		fs.BoolVar(&help, n, false, "")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if help {
		return nil, flag.ErrHelp
	}
	if fs.NArg() > 0 {
		// As nats-server: `leafhub version` and `leafhub help` are commands.
		switch strings.ToLower(fs.Arg(0)) {
		case "version":
			f.version = true
		case "help":
			return nil, flag.ErrHelp
		default:
			return nil, fmt.Errorf("unrecognized command: %q", fs.Arg(0))
		}
	}
	if f.check && f.config == "" {
		return nil, errors.New("must specify [-c, --config] option to check configuration file syntax")
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, nil
}

// apply overrides configuration values with the flags given, as nats-server
// does: the command line wins.
func (f *flags) apply(o *config.Options) error {
	if f.host != "" {
		o.Host = f.host
	}
	if f.port != -2 {
		o.Port = f.port
	}
	if f.name != "" {
		o.ServerName = f.name
	}
	if f.httpPort != -2 {
		o.HTTPPort = f.httpPort
	}
	if f.user != "" || f.pass != "" || f.token != "" {
		if len(o.Users) > 0 {
			// As nats-server: a users list in the file wins.
			o.Warnings = append(o.Warnings, "--user, --pass and --auth are ignored: the configuration has a users list")
		} else {
			o.Username, o.Password, o.Token = cmp.Or(f.user, o.Username), cmp.Or(f.pass, o.Password), cmp.Or(f.token, o.Token)
		}
	}
	if err := f.applyTLS(o); err != nil {
		return err
	}
	if f.profPort != -2 {
		o.ProfPort = f.profPort
	}
	if f.logFile != "" {
		o.LogFile = f.logFile
	}
	if f.pidFile != "" {
		o.PidFile = f.pidFile
	}
	if f.debug || f.dv {
		o.Debug = true
	}
	if f.trace || f.dv {
		o.Trace = true
	}
	if f.set["T"] || f.set["logtime"] {
		o.Logtime = f.logtime
	}
	return nil
}

// applyTLS applies the client-port TLS flags as nats-server does: any of
// them replaces the file's tls block with certificate, key, CA and verify
// from the command line; -tls=false turns client TLS off.
func (f *flags) applyTLS(o *config.Options) error {
	switch {
	case f.set["tls"] && !f.tls:
		o.TLS = nil
	case f.set["tls"] || f.set["tlsverify"] || f.set["tlscert"] || f.set["tlskey"] || f.set["tlscacert"]:
		if f.tlsCert == "" {
			return errors.New("TLS Server certificate must be present and valid")
		}
		if f.tlsKey == "" {
			return errors.New("TLS Server private key must be present and valid")
		}
		o.TLS = &config.TLSOpts{CertFile: f.tlsCert, KeyFile: f.tlsKey, CaFile: f.tlsCA, Verify: f.tlsVerify,
			Timeout: config.DefaultTLSTimeout}
	}
	return nil
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	f, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Print(usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "leafhub: %v\n%s", err, usage)
		return 1
	}
	if f.signal != "" {
		if err := sendSignal(f.signal); err != nil {
			fmt.Fprintf(os.Stderr, "leafhub: %v\n", err)
			return 1
		}
		return 0
	}
	if f.version {
		fmt.Printf("leafhub: v%s (nats-server v%s compatible)\n", hub.Version, hub.CompatVersion)
		return 0
	}
	applied := f
	if f.check {
		applied = nil // as nats-server: -t judges the file, not the flags
	}
	opts, err := loadOptions(f.config, applied)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leafhub: %s\n", indent(err.Error()))
		return 1
	}
	if f.check {
		fmt.Fprintf(os.Stderr, "leafhub: configuration file %s is valid (%s)\n", f.config, opts.ConfigDigest)
		return 0
	}
	lg, err := newLogger(logLevel(opts.Debug, opts.Trace), opts.Logtime, opts.LogFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leafhub: %v\n", err)
		return 1
	}
	defer lg.close()
	for _, w := range opts.Warnings {
		lg.Warn(w)
	}
	// Trap the signals before anything can name this process (the hub's pid
	// file, the "ready" log line): a SIGHUP that arrives early is a reload
	// once the server runs, never the default action that kills the process.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	return serve(opts, f, lg, sigs)
}

// loadOptions reads the configuration file (none: the defaults), applies
// the command-line flags over it (unless f is nil) and validates the
// result: at start-up, on every reload, and for -t.
func loadOptions(path string, f *flags) (*config.Options, error) {
	opts := config.Default()
	if path != "" {
		var err error
		if opts, err = config.Load(path); err != nil {
			return nil, fmt.Errorf("configuration errors in %s:\n%w", path, err)
		}
	}
	if f != nil {
		if err := f.apply(opts); err != nil {
			return nil, err
		}
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("invalid options: %w", err)
	}
	return opts, nil
}

func serve(opts *config.Options, f *flags, lg *logger, sigs chan os.Signal) int {
	log := lg.Logger
	log.Info("starting leafhub", zap.String("version", hub.Version), zap.Int("pid", os.Getpid()),
		zap.String("config", opts.ConfigFile))
	s, err := hub.New(opts, log)
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return 1
	}
	var ldmDone chan error // set once lame duck mode runs
	for {
		select {
		case err := <-ldmDone:
			if err != nil {
				log.Error("lame duck shutdown was not clean", zap.Error(err))
				return 1
			}
			return 0
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				reload(s, opts.ConfigFile, f, lg)
				continue
			case syscall.SIGUSR1:
				if err := lg.reopen(); err != nil {
					log.Error("cannot reopen the log file", zap.Error(err))
				} else {
					log.Info("log file reopened")
				}
				continue
			case syscall.SIGUSR2:
				if ldmDone == nil {
					ldmDone = make(chan error, 1)
					go func() {
						ldmDone <- s.LameDuck(context.Background()) // bounded by the running lame_duck_duration
					}()
				}
				continue
			case syscall.SIGTERM:
				if ldmDone != nil {
					// As nats-server: a graceful shutdown is already under way.
					log.Info("trapped SIGTERM during lame duck mode; letting lame duck mode finish")
					continue
				}
			}
			log.Info("trapped signal; shutting down", zap.String("signal", sig.String()))
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				log.Error("shutdown was not clean", zap.Error(err))
				return 1
			}
			return 0
		}
	}
}
