package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/certgate/certgate/internal/promtest"
	"github.com/certgate/certgate/pkg/config"
	"github.com/certgate/certgate/pkg/exporter"
)

// TestAlertRules runs the alert rules' unit tests with promtool: each
// alert fires for its input series, and only for them.
func TestAlertRules(t *testing.T) {
	out, err := promtest.Tool(t, ".", "test", "rules", "alerts_test.yml")
	if err != nil {
		t.Fatalf("promtool test rules alerts_test.yml: %v\n%s", err, out)
	}
}

// TestPrometheusConfig checks the example Prometheus configuration and the
// rule file it loads.
func TestPrometheusConfig(t *testing.T) {
	out, err := promtest.Tool(t, ".", "check", "config", "prometheus.yml")
	if err != nil {
		t.Fatalf("promtool check config prometheus.yml: %v\n%s", err, out)
	}
}

// TestMetricNames: every certgate_ or probe_ metric the examples name is
// one the exporter gives.
func TestMetricNames(t *testing.T) {
	re := regexp.MustCompile(`\b(certgate_[a-z0-9_]+|probe_[a-z0-9_]+)`)
	known := exporter.MetricNames()
	for _, name := range []string{"alerts.yml", "alerts_test.yml", "prometheus.yml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllString(string(data), -1) {
			if !slices.Contains(known, m) {
				t.Errorf("%s names %s, which certgate serve does not export (it has %v)", name, m, known)
			}
		}
	}
}

// imagePlaceholder is kubernetes.yaml's image: no certgate image is
// published, so the example cannot name a real one.
const imagePlaceholder = "registry.example.com/your-org/certgate:VERSION"

// TestKubernetes checks that kubernetes.yaml holds the four objects and
// that its certgate.yaml loads.
func TestKubernetes(t *testing.T) {
	data, err := os.ReadFile("kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var kinds []string
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Image string `yaml:"image"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("kubernetes.yaml: %v", err)
		}
		kinds = append(kinds, doc.Kind)
		if doc.Kind == "Deployment" {
			// No image is published: the example names an obvious
			// placeholder, and the README tells the user to replace it.
			cs := doc.Spec.Template.Spec.Containers
			if len(cs) != 1 || cs[0].Image != imagePlaceholder {
				t.Errorf("the Deployment's containers %+v, want one with the image %s", cs, imagePlaceholder)
			}
			readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(readme, []byte(imagePlaceholder)) || !bytes.Contains(readme, []byte("is a placeholder to replace")) {
				t.Errorf("the README does not say that %s is a placeholder to replace", imagePlaceholder)
			}
		}
		if doc.Kind == "ConfigMap" {
			f, err := config.Parse("kubernetes.yaml (ConfigMap certgate.yaml)", []byte(doc.Data["certgate.yaml"]))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Endpoints) == 0 {
				t.Error("the ConfigMap's certgate.yaml lists no endpoints")
			}
		}
	}
	if want := []string{"ConfigMap", "Deployment", "Service", "ServiceMonitor"}; !slices.Equal(kinds, want) {
		t.Errorf("kubernetes.yaml has %v, want %v", kinds, want)
	}
}
