package main

import (
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/hub"
)

// reload re-reads the configuration file (SIGHUP). A file that does not
// load or validate is refused and the running configuration stays.
func reload(s *hub.Server, path string, f *flags, lg *logger) {
	log := lg.Logger
	if path == "" {
		log.Warn("reload requested, but leafhub runs without a configuration file")
		return
	}
	log.Info("reloading configuration", zap.String("config", path))
	opts, err := loadOptions(path, f) // command-line flags still win, as at start-up
	if err != nil {
		log.Error("configuration reload refused; the running configuration stays", zap.Error(err))
		return
	}
	changed, err := s.Reload(opts)
	if err != nil {
		log.Error("configuration reload refused; the running configuration stays", zap.Error(err))
		return
	}
	lg.level.SetLevel(logLevel(opts.Debug, opts.Trace))
	log.Info("configuration reloaded", zap.Strings("changed", changed))
}
