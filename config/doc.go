// Package config reads leafhub's configuration file and turns it into
// typed, validated Options with nats-server's defaults.
//
// The file uses the nats-server configuration format and is parsed with
// nats-server's own conf parser, so includes, variables and $ENV
// references work as they do there. Keys are case-insensitive. Every
// problem is reported, each with file, line, column, key path (such as
// "leafnodes.remotes[0].url") and reason, in a single *Errors.
//
// Keys fall into three groups:
//
//   - supported keys are parsed into Options, with nats-server's aliases,
//     defaults, validation rules and error texts;
//   - keys nats-server knows but leafhub does not implement yet are refused
//     with "unsupported by leafhub (not implemented yet)". They are listed in
//     one table per block (unsupportedTop, unsupportedLeafnodes,
//     unsupportedRemote, ...); leafnodes and remotes settings are parsed and
//     validated in full even when refused, so enabling one only takes
//     deleting its table entry;
//   - other keys are refused as `unknown field "<key>"`, like nats-server.
//
// Settings of leafhub itself, which nats-server does not have, live in a
// top-level leafhub block:
//
//	leafhub {
//	  metrics_prefix: "gnatsd"    # prefix of Prometheus metric names
//	  actor_metrics: false        # export actor system metrics
//	  per_actor_metrics: false    # export metrics per actor
//	}
//
// The package is pure: it starts no goroutines, opens no sockets and does
// not log. It only reads the configuration file, its includes and the TLS
// files it names. Warnings (such as a plain number given for a duration,
// read as seconds) are returned in Options.Warnings.
package config
