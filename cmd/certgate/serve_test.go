package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
)

// serveFleet is a test CA and the --store file that trusts it.
type serveFleet struct {
	root  *testpki.CA
	store string
}

func newServeFleet(t *testing.T) *serveFleet {
	t.Helper()
	root := testpki.NewRoot(t, "Serve Test Root")
	return &serveFleet{root: root, store: testpki.WritePEM(t, "serve-root.pem", root.Cert)}
}

// server starts a TLS server for host with a leaf valid until notAfter and
// returns its config entry: the target on the server's port, resolved to
// loopback.
func (f *serveFleet) server(t *testing.T, host string, notAfter time.Time, extra string) string {
	t.Helper()
	now := time.Now()
	leaf := f.root.Leaf(t, testpki.DNS(host), testpki.Validity(now.AddDate(0, -3, 0), notAfter))
	addr := testpki.ServeCert(t, leaf)
	return endpointYAML(host, addr, extra)
}

func endpointYAML(host, addr, extra string) string {
	_, port, _ := net.SplitHostPort(addr)
	s := fmt.Sprintf("  - target: https://%s:%s\n    resolve: 127.0.0.1\n", host, port)
	if extra != "" {
		s += "    " + extra + "\n"
	}
	return s
}

// writeServeConfig writes a certgate.yaml with the endpoint entries into dir.
func writeServeConfig(t *testing.T, dir string, entries ...string) string {
	t.Helper()
	return writeFile(t, dir, "certgate.yaml", []byte("endpoints:\n"+strings.Join(entries, "")))
}

// TestServeUsage: serve refuses to start without a usable configuration or
// with bad flags, exits 2 and names the flag or the config line.
func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	writeServeConfig(t, dir, "  - target: https://a.example\n")
	empty := writeFile(t, dir, "empty.yaml", []byte("endpoints: []\n"))
	starttls := writeFile(t, dir, "starttls.yaml", []byte("endpoints:\n  - target: a.example:25\n    starttls: smtps\n"))
	dup := writeFile(t, dir, "dup.yaml", []byte("endpoints:\n  - target: https://a.example\n  - target: https://a.example\n"))
	badClient := writeFile(t, dir, "client.yaml", []byte("endpoints:\n  - target: https://a.example\n    client: netscape-4\n"))
	for _, c := range []struct {
		name string
		dir  string // working directory
		args []string
		want string // in stderr
	}{
		{"no config here", t.TempDir(), nil, "--config"},
		{"missing config", dir, []string{"--config", filepath.Join(dir, "nope.yaml")}, "--config"},
		{"no endpoints", dir, []string{"--config", empty}, "endpoints"},
		{"only matches none", dir, []string{"--only", "team=none"}, "--only"},
		{"interval too short", dir, []string{"--interval", "10ms"}, "--interval"},
		{"concurrency", dir, []string{"-c", "0"}, "--concurrency"},
		{"timeout", dir, []string{"--timeout", "0s"}, "--timeout"},
		{"listen", dir, []string{"--listen", "9219"}, "--listen"},
		{"probe-allow", dir, []string{"--probe-allow", "[a"}, "--probe-allow"},
		{"unknown starttls", dir, []string{"--config", starttls}, "starttls.yaml:3"},
		{"duplicate", dir, []string{"--config", dup}, "dup.yaml:3"},
		{"unknown client", dir, []string{"--config", badClient}, "client.yaml:2"},
		{"arguments", dir, []string{"https://a.example"}, "no arguments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(c.dir)
			code, _, errOut := cli(t, "", append([]string{"serve", "--listen", "127.0.0.1:0"}, c.args...)...)
			if code != exitUsage || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %q", code, errOut, c.want)
			}
		})
	}
}

func TestServeListed(t *testing.T) {
	code, out, _ := cli(t, "", "--help")
	if code != 0 || !strings.Contains(out, "serve") {
		t.Errorf("certgate --help does not list serve:\n%s", out)
	}
}

// TestServeHelpExitStatus: serve's help gives its own exit statuses: a
// stop signal ends it with 0, and SIGHUP reloads rather than exits 129.
func TestServeHelpExitStatus(t *testing.T) {
	code, out, _ := cli(t, "", "serve", "--help")
	if code != 0 || !strings.Contains(out, "SIGHUP reloads the configuration and does not stop it") || strings.Contains(out, "129") {
		t.Errorf("certgate serve --help does not give serve's exit statuses:\n%s", out)
	}
	if !strings.Contains(out, "--enable-reload") {
		t.Errorf("certgate serve --help lacks --enable-reload:\n%s", out)
	}
}

// TestServeDeployExample: the container arguments of the Kubernetes
// example are a valid certgate serve command line.
func TestServeDeployExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "scripts", "deploy", "kubernetes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args []string `yaml:"args"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "Deployment" && len(doc.Spec.Template.Spec.Containers) > 0 {
			args = doc.Spec.Template.Spec.Containers[0].Args
		}
	}
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("the Deployment's container arguments %q do not start with serve", args)
	}
	ios, _, _, _ := iostreams.Test()
	cmd := newServeCmd(ios, func(_ context.Context, o *serveOptions) error { return o.validate() })
	cmd.SetArgs(args[1:])
	if err := cmd.Execute(); err != nil {
		t.Errorf("certgate %s: %v", strings.Join(args, " "), err)
	}
}
