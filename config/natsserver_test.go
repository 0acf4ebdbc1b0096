package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// natsServerVerdict runs nats-server's own option parser and option
// validation (NewServer, which does not listen or connect) on a file.
func natsServerVerdict(path string) error {
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		return err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	s.Shutdown()
	return nil
}

// TestSameVerdictAsNatsServer checks the corpus in testdata/corpus: a file
// nats-server rejects must be rejected by us; a file nats-server accepts
// must be accepted by us unless we only refuse unsupported settings. The
// file name prefix says what nats-server is expected to do: ok_ and unsup_
// files are accepted, bad_ files rejected; unsup_ files use settings
// leafhub does not implement yet.
func TestSameVerdictAsNatsServer(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	counts := map[string]int{}
	for _, file := range files {
		name := filepath.Base(file)
		prefix, _, _ := strings.Cut(name, "_")
		counts[prefix]++
		nsErr := natsServerVerdict(file)
		_, ourErr := Load(file)
		switch prefix {
		case "ok", "unsup":
			if nsErr != nil {
				t.Errorf("%s: corpus expects nats-server to accept it, but: %v", name, nsErr)
				continue
			}
		case "bad":
			if nsErr == nil {
				t.Errorf("%s: corpus expects nats-server to reject it, but it accepts it", name)
				continue
			}
		default:
			t.Errorf("%s: unknown corpus prefix %q", name, prefix)
			continue
		}
		switch {
		case nsErr != nil && ourErr == nil:
			t.Errorf("%s: nats-server rejects it (%v) but we accept it", name, nsErr)
		case nsErr == nil && prefix == "ok" && ourErr != nil:
			t.Errorf("%s: nats-server accepts it but we reject it:\n%v", name, ourErr)
		case prefix == "unsup":
			var errs *Errors
			if !errors.As(ourErr, &errs) {
				t.Errorf("%s: expected unsupported errors, got %v", name, ourErr)
				continue
			}
			for _, e := range errs.List {
				if !strings.Contains(e.Reason, unsupportedReason) {
					t.Errorf("%s: nats-server accepts it and only unsupported errors were expected, got: %v", name, e)
				}
			}
		}
	}
	for _, p := range []string{"ok", "bad", "unsup"} {
		if counts[p] == 0 {
			t.Errorf("corpus has no %s_ files", p)
		}
	}
}

// TestConfigDigestAsNatsServer: Load's digest is nats-server's config_digest
// for the same file (includes and variables resolved).
func TestConfigDigestAsNatsServer(t *testing.T) {
	path := "testdata/include/main.conf"
	o, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	nso, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if o.ConfigDigest == "" || o.ConfigDigest != nso.ConfigDigest() {
		t.Fatalf("digest %q, nats-server %q", o.ConfigDigest, nso.ConfigDigest())
	}
}
