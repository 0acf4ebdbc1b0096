package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/leafhub/leafhub/config"
)

// deployPath finds the files an example expects under /etc/leafhub/ in
// quoted values of lines that are not comments.
var deployPath = regexp.MustCompile(`"(/etc/leafhub/[^"]+)"`)

// TestDeployConfigs: every example configuration in deploy/, and the one
// embedded in the Kubernetes ConfigMap, loads in leafhub (config.Load and
// `leafhub -t`) and in nats-server (its parser and its option checks)
// alike. The files an example names under /etc/leafhub/ are replaced by
// test files of the same kind.
func TestDeployConfigs(t *testing.T) {
	confs := map[string]string{}
	files, _ := filepath.Glob("../deploy/*.conf")
	docker, _ := filepath.Glob("../deploy/docker/*.conf")
	for _, f := range append(files, docker...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		confs[strings.TrimPrefix(f, "../deploy/")] = string(b)
	}
	yaml, err := os.ReadFile("../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k8s, err := configMapFile(string(yaml), "leafhub.conf")
	if err != nil {
		t.Fatalf("configmap.yaml: %v", err)
	}
	confs["kubernetes/configmap.yaml"] = k8s
	for _, want := range []string{"edge-leaf.conf", "hub.conf", "leaf-two-accounts.conf", "leaf-ws-proxy.conf", "leafhub.conf", "docker/leafhub.conf"} {
		if _, ok := confs[want]; !ok {
			t.Errorf("deploy/%s is missing", want)
		}
	}

	// Stand-ins for the files the examples reference.
	p := newPKI(t)
	creds := credsFile(t, newOperator(t).creds(t, time.Time{}))
	standIn := map[string]string{
		"/etc/leafhub/hub-ca.pem": p.ca,
		"/etc/leafhub/edge.creds": creds,
	}

	// What some examples must still say after an edit: the ports the
	// Kubernetes Service and probes use, and the remote that the
	// websocket-through-a-proxy example is about.
	checks := map[string]func(*config.Options) error{
		"kubernetes/configmap.yaml": func(o *config.Options) error {
			if o.Port != 4222 || o.HTTPHost != "0.0.0.0" || o.HTTPPort != 8222 || o.LeafNode.Port != 7422 {
				return fmt.Errorf("listeners %s:%d, http %s:%d, leafnodes %d; the Service and probes expect 4222, 0.0.0.0:8222, 7422",
					o.Host, o.Port, o.HTTPHost, o.HTTPPort, o.LeafNode.Port)
			}
			return nil
		},
		"leaf-ws-proxy.conf": func(o *config.Options) error {
			if len(o.LeafNode.Remotes) != 1 {
				return fmt.Errorf("%d remotes", len(o.LeafNode.Remotes))
			}
			r := o.LeafNode.Remotes[0]
			if r.URLs[0].Scheme != "wss" || r.Proxy == nil || r.Proxy.Username == "" || r.Proxy.Timeout == 0 ||
				r.TLS == nil || r.TLS.CaFile == "" || r.Credentials == "" {
				return fmt.Errorf("remote %+v: want a wss:// URL, proxy { url, username, password, timeout }, tls { ca_file } and credentials", r)
			}
			return nil
		},
	}

	for name, text := range confs {
		t.Run(name, func(t *testing.T) {
			var lines []string
			for _, line := range strings.Split(text, "\n") {
				if trimmed := strings.TrimSpace(line); !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "//") {
					for _, m := range deployPath.FindAllStringSubmatch(line, -1) {
						sub, ok := standIn[m[1]]
						if !ok {
							t.Fatalf("references %s: add a stand-in for it to this test", m[1])
						}
						line = strings.ReplaceAll(line, m[0], fmt.Sprintf("%q", sub))
					}
				}
				lines = append(lines, line)
			}
			f := writeConf(t, strings.Join(lines, "\n"))

			o, err := config.Load(f)
			if err != nil {
				t.Fatalf("leafhub: %v", err)
			}
			if check := checks[name]; check != nil {
				if err := check(o); err != nil {
					t.Error(err)
				}
			}
			nso, err := natsserver.ProcessConfigFile(f)
			if err != nil {
				t.Fatalf("nats-server: %v", err)
			}
			s, err := natsserver.NewServer(nso)
			if err != nil {
				t.Fatalf("nats-server options: %v", err)
			}
			s.Shutdown()
			if out, err := exec.Command(leafhubBinary(t), "-t", "-c", f).CombinedOutput(); err != nil {
				t.Fatalf("leafhub -t: %v\n%s", err, out)
			}
		})
	}
}

// configMapFile returns the text of the block scalar `key: |` in a
// ConfigMap's YAML, without the block's indentation. It handles the plain
// form the deploy manifests use, not YAML at large.
func configMapFile(yaml, key string) (string, error) {
	lines := strings.Split(yaml, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != key+": |" {
			continue
		}
		keyIndent := len(line) - len(strings.TrimLeft(line, " "))
		indent := -1
		var out []string
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) == "" {
				out = append(out, "")
				continue
			}
			n := len(l) - len(strings.TrimLeft(l, " "))
			if n <= keyIndent {
				break
			}
			if indent < 0 {
				indent = n
			}
			if n < indent {
				return "", fmt.Errorf("line %q is indented less than the block's first line", l)
			}
			out = append(out, l[indent:])
		}
		if indent < 0 {
			return "", fmt.Errorf("%s is empty", key)
		}
		return strings.Join(out, "\n"), nil
	}
	return "", fmt.Errorf("no %q block", key+": |")
}
