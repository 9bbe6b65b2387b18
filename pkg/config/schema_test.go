package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// schemaPath and readmePath are the JSON Schema shipped for editors and
// the README whose examples it is tested against.
var (
	schemaPath = filepath.Join("..", "..", "schema", "certgate.schema.json")
	readmePath = filepath.Join("..", "..", "README.md")
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("certgate.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("certgate.schema.json")
	if err != nil {
		t.Fatalf("%s does not compile: %v", schemaPath, err)
	}
	return s
}

// schemaValid reports whether the YAML text is valid under the schema.
func schemaValid(t *testing.T, s *jsonschema.Schema, text string) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		return err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// yamlBlock is a ```yaml block of the README that starts with the line
// "# certgate.yaml" (other YAML blocks are CI examples).
var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(# certgate\\.yaml\n.*?)^```")

// TestReadmeExamples: every certgate.yaml example of the README is a
// config file that Load accepts and that is valid under the shipped JSON
// Schema.
func TestReadmeExamples(t *testing.T) {
	s := compileSchema(t)
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(readme, -1)
	if len(blocks) < 2 {
		t.Fatalf("the README has %d ```yaml blocks starting with # certgate.yaml, want the examples of its certgate.yaml section", len(blocks))
	}
	for i, b := range blocks {
		if _, err := Parse("README example", b[1]); err != nil {
			t.Errorf("README yaml block %d: Load: %v\n%s", i+1, err, b[1])
		}
		if err := schemaValid(t, s, string(b[1])); err != nil {
			t.Errorf("README yaml block %d: schema: %v\n%s", i+1, err, b[1])
		}
	}
}

// TestSchemaAgreesWithLoad: the schema accepts what Load accepts and
// rejects what it rejects, key by key, so neither drifts from the other.
func TestSchemaAgreesWithLoad(t *testing.T) {
	s := compileSchema(t)
	for _, tc := range []struct {
		name, text string
		ok         bool
	}{
		{"minimal", "endpoints:\n  - target: a.example\n", true},
		{"every key", `defaults:
  resolve: 192.0.2.1
  sni: a.example
  profile: twilio
  client: java-17
  warn_days: 14
  starttls: smtp
  labels: {env: prod, tier: 1}
  expect: {root: ISRG Root X1, issuer: R11, min_grade: A+, addresses: 2}
endpoints:
  - target: https://a.example
    resolve: [192.0.2.1, "2001:db8::1", "[2001:db8::2]"]
`, true},
		{"empty defaults", "defaults:\nendpoints:\n  - target: a.example\n", true},
		{"no endpoints", "defaults: {warn_days: 1}\n", false},
		{"unknown top key", "endpoint:\n  - target: a\n", false},
		{"unknown endpoint key", "endpoints:\n  - target: a.example\n    warndays: 3\n", false},
		{"unknown defaults key", "defaults: {warndays: 3}\nendpoints:\n  - target: a.example\n", false},
		{"target in defaults", "defaults: {target: a.example}\nendpoints:\n  - target: a.example\n", false},
		{"no target", "endpoints:\n  - sni: a.example\n", false},
		{"unknown expect key", "endpoints:\n  - target: a.example\n    expect: {rot: X}\n", false},
		{"negative warn_days", "endpoints:\n  - target: a.example\n    warn_days: -1\n", false},
		{"text warn_days", "endpoints:\n  - target: a.example\n    warn_days: soon\n", false},
		{"host in resolve", "endpoints:\n  - target: a.example\n    resolve: a.example\n", false},
		{"empty resolve", "endpoints:\n  - target: a.example\n    resolve: []\n", false},
		{"bad starttls", "endpoints:\n  - target: a.example\n    starttls: gopher\n", false},
		{"upper-case starttls", "endpoints:\n  - target: a.example\n    starttls: SMTP\n", false},
		{"bad grade", "endpoints:\n  - target: a.example\n    expect: {min_grade: Z}\n", false},
		{"zero addresses", "endpoints:\n  - target: a.example\n    expect: {addresses: 0}\n", false},
		{"bad label name", "endpoints:\n  - target: a.example\n    labels: {9x: a}\n", false},
		{"reserved label name", "endpoints:\n  - target: a.example\n    labels: {__name: a}\n", false},
		{"list labels", "endpoints:\n  - target: a.example\n    labels: [a]\n", false},
		{"sni with a port", "endpoints:\n  - target: a.example\n    sni: a.example:443\n", false},
		{"boolean client", "endpoints:\n  - target: a.example\n    client: true\n", false},
		{"misspelt profile", "endpoints:\n  - target: a.example\n    profile: twillio\n", false},
		{"upper-case profile", "defaults: {profile: Stripe}\nendpoints:\n  - target: a.example\n", false},
		{"number profile", "endpoints:\n  - target: a.example\n    profile: 1\n", false},
		{"browser profile", "endpoints:\n  - target: a.example\n    profile: browser\n", true},
		{"endpoints not a list", "endpoints: a.example\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, loadErr := Parse("t.yaml", []byte(tc.text))
			schemaErr := schemaValid(t, s, tc.text)
			if (loadErr == nil) != tc.ok {
				t.Errorf("Load: %v, want ok=%v", loadErr, tc.ok)
			}
			if (schemaErr == nil) != tc.ok {
				t.Errorf("schema: %v, want ok=%v", schemaErr, tc.ok)
			}
		})
	}
}

// TestSchemaProfiles: the schema's profile enum is the sender profiles'
// names, in their order.
func TestSchemaProfiles(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for name, def := range doc.Defs {
		if p, ok := def.Properties["profile"]; ok {
			found = true
			if !slices.Equal(p.Enum, Profiles) {
				t.Errorf("%s: $defs.%s.profile enum %v, want the sender profiles %v", schemaPath, name, p.Enum, Profiles)
			}
		}
	}
	if !found {
		t.Errorf("%s: no profile property in $defs", schemaPath)
	}
}
