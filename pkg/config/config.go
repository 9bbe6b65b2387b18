// Package config reads certgate.yaml: the endpoints certgate checks, each
// with its own settings, and the defaults they share.
//
//	defaults:
//	  warn_days: 21
//	endpoints:
//	  - target: https://api.example.com
//	    labels: {team: payments, env: prod}
//	    expect: {root: "ISRG Root X1"}
//
// Load reports an unknown key or a bad value as an *Error naming the file,
// the line and the fix; it never guesses.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/target"
)

// FileName is the name Find looks for.
const FileName = "certgate.yaml"

// MaxBytes bounds the size of a config file Load reads.
const MaxBytes = 16 << 20

// File is one parsed config file.
type File struct {
	// Path is the file the config was read from.
	Path string
	// Defaults apply to every endpoint that does not set the value itself.
	Defaults Endpoint
	// Endpoints are the endpoints in the order the file lists them.
	Endpoints []Endpoint
}

// Endpoint is one endpoint's settings (or, as File.Defaults, the defaults).
// Zero values mean "not set": the defaults, then the command-line flags,
// apply.
type Endpoint struct {
	// Target is the endpoint as on the command line (URL, host, host:port).
	Target string
	// Resolve lists the IP addresses to check the endpoint at in place of
	// resolving its host name; SNI and validation still use the host.
	Resolve []string
	// SNI is the server name to send and validate the certificate against,
	// in place of the target's host.
	SNI string
	// Profile names the sender profile of certgate preflight.
	Profile string
	// Client names the one recorded client that judges a handshake Go's
	// client cannot make (as --client).
	Client string
	// WarnDays is the endpoint's --warn-days; nil when not set.
	WarnDays *int
	// StartTLS names the plaintext protocol upgraded to TLS ("smtp").
	StartTLS string
	// Labels are free key=value labels, for --only and for metrics.
	Labels map[string]string
	// Expect holds the endpoint's pinned expectations.
	Expect Expect
	// Line is the line of the entry in the file; 0 for the defaults and
	// for targets not from a file.
	Line int
}

// Expect pins what an endpoint is expected to present.
type Expect struct {
	// Root matches the root the chain ends at: its SHA-256 fingerprint
	// (hex, colons and case ignored) or a part of its name.
	Root string
	// Issuer matches the leaf's issuer: its SHA-256 fingerprint or a part
	// of its distinguished name.
	Issuer string
	// MinGrade is the lowest scan grade that passes (A+, A, A-, B, C, D, E, F).
	MinGrade string
	// Addresses is the number of addresses the endpoint is expected to
	// answer at; nil when not set.
	Addresses *int
}

// Error is a config file that cannot be used: the file, the line and the fix.
type Error struct {
	// Path is the config file.
	Path string
	// Line is the 1-based line, 0 when the problem is the whole file.
	Line int
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error returns "file:line: message".
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Keys of a file, an endpoint and an expectation, in the order documented.
var (
	fileKeys     = []string{"defaults", "endpoints"}
	endpointKeys = []string{"target", "resolve", "sni", "profile", "client", "warn_days", "starttls", "labels", "expect"}
	expectKeys   = []string{"root", "issuer", "min_grade", "addresses"}
)

// Grades are the values of expect.min_grade, best first.
var Grades = []string{"A+", "A", "A-", "B", "C", "D", "E", "F", "T", "M"}

// Profiles are the values of profile: the sender profiles of certgate
// preflight (--list-profiles), the default first.
var Profiles = sender.Names()

// StartTLSProtocols are the values of starttls: the protocols of
// --starttls.
var StartTLSProtocols = target.StartTLSProtocols()

// Find returns the path of certgate.yaml in dir, and whether it exists.
func Find(dir string) (string, bool) {
	p := filepath.Join(dir, FileName)
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() {
		return "", false
	}
	return p, true
}

// Load reads and checks the config file at path.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Path: path, Msg: "no such file (give the path of a certgate.yaml, or leave --config out to use ./" + FileName + ")"}
		}
		return nil, &Error{Path: path, Msg: fmt.Sprintf("cannot be read: %v (check its permissions)", err)}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &Error{Path: path, Msg: "is a directory (give the path of a certgate.yaml file)"}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("cannot be read: %v", err)}
	}
	return Parse(path, data)
}

// Parse checks data as the contents of the config file named path.
func Parse(path string, data []byte) (*File, error) {
	if len(data) > MaxBytes {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("is larger than %d MiB (split the endpoints over several files)", MaxBytes>>20)}
	}
	p := &parser{path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Path: path, Msg: "is empty (list the endpoints under endpoints:, one - target: HOST each)"}
		}
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Path: path, Line: extra.Line, Msg: "a second YAML document (---) is not read: keep one document per file"}
	} else if !errors.Is(err, io.EOF) {
		return nil, p.yamlError(err)
	}
	return p.file(&doc)
}

type parser struct {
	path string
}

func (p *parser) errf(n *yaml.Node, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{Path: p.path, Line: line, Msg: fmt.Sprintf(format, a...)}
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns the YAML library's syntax error into an *Error.
func (p *parser) yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Path: p.path, Line: line, Msg: "not valid YAML: " + m[2] + " (check the indentation and quoting)"}
	}
	return &Error{Path: p.path, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ") + " (check the indentation and quoting)"}
}

func (p *parser) file(doc *yaml.Node) (*File, error) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "the file must be a mapping with defaults: and endpoints: (found %s)", kind(n))
	}
	f := &File{Path: p.path}
	var endpoints *yaml.Node
	err := p.mapping(n, "the file", fileKeys, func(k string, v *yaml.Node) error {
		switch k {
		case "defaults":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return nil
			}
			e, err := p.endpoint(v, true)
			if err != nil {
				return err
			}
			f.Defaults = e
		case "endpoints":
			endpoints = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if endpoints == nil || endpoints.Kind == yaml.ScalarNode && endpoints.Tag == "!!null" {
		return nil, p.errf(n, "no endpoints: list them under endpoints:, one \"- target: HOST\" each")
	}
	if endpoints.Kind != yaml.SequenceNode {
		return nil, p.errf(endpoints, "endpoints must be a list (\"- target: HOST\" on each line), not %s", kind(endpoints))
	}
	seen := map[string]int{}
	for _, en := range endpoints.Content {
		e, err := p.endpoint(en, false)
		if err != nil {
			return nil, err
		}
		key := e.Target + "\x00" + e.SNI + "\x00" + strings.Join(e.Resolve, ",") + "\x00" + e.StartTLS
		if prev, dup := seen[key]; dup {
			return nil, p.errf(en, "endpoint %q is listed twice (also on line %d): keep one entry, or tell them apart with sni, resolve or starttls", e.Target, prev)
		}
		seen[key] = e.Line
		f.Endpoints = append(f.Endpoints, e)
	}
	return f, nil
}

// mapping calls fn for each key of the mapping n, which may have only the
// keys known; what is its name in messages.
func (p *parser) mapping(n *yaml.Node, what string, known []string, fn func(k string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s must be a mapping of key: value, not %s", what, kind(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			return p.errf(kn, "%s has a key that is not a name: use one of %s", what, strings.Join(known, ", "))
		}
		k := kn.Value
		if kn.Tag == "!!merge" {
			return p.errf(kn, "merge keys (<<) are not read: write %s's keys out", what)
		}
		if !contains(known, k) {
			hint := ""
			if s := closest(k, known); s != "" {
				hint = fmt.Sprintf("did you mean %s? ", s)
			}
			return p.errf(kn, "unknown key %q in %s (%sknown keys: %s)", k, what, hint, strings.Join(known, ", "))
		}
		if seen[k] {
			return p.errf(kn, "key %q is given twice in %s: keep one", k, what)
		}
		seen[k] = true
		if err := fn(k, vn); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) endpoint(n *yaml.Node, defaults bool) (Endpoint, error) {
	var e Endpoint
	what := "an endpoint"
	known := endpointKeys
	if defaults {
		what, known = "defaults", endpointKeys[1:]
	} else {
		e.Line = n.Line
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			return e, p.errf(n, "endpoint %q is a plain string: write it as \"- target: %s\"", n.Value, n.Value)
		}
	}
	if n.Kind == yaml.MappingNode && defaults {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "target" {
				return e, p.errf(n.Content[i], "defaults cannot have a target: list targets under endpoints:")
			}
		}
	}
	err := p.mapping(n, what, known, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "target":
			e.Target, err = p.str(v, "target", "an https:// URL, host or host:port")
			if err == nil {
				if _, perr := target.Parse(e.Target); perr != nil {
					err = p.errf(v, "target %q: %v", e.Target, perr)
				}
			}
		case "resolve":
			e.Resolve, err = p.addresses(v)
		case "sni":
			e.SNI, err = p.str(v, "sni", "a host name")
			if err == nil && (e.SNI == "" || net.ParseIP(e.SNI) != nil || strings.ContainsAny(e.SNI, " /:")) {
				err = p.errf(v, "sni %q is not a host name (give the name to send, like api.example.com)", e.SNI)
			}
		case "profile":
			e.Profile, err = p.oneOf(v, "profile", Profiles)
		case "client":
			e.Client, err = p.str(v, "client", "a recorded client name (certgate check --list-clients)")
		case "warn_days":
			var d int
			d, err = p.int(v, "warn_days", "a number of days like 21")
			if err == nil && d < 0 {
				err = p.errf(v, "warn_days is %d, negative (use 0 to disable the warning)", d)
			}
			e.WarnDays = &d
		case "starttls":
			e.StartTLS, err = p.oneOf(v, "starttls", StartTLSProtocols)
		case "labels":
			e.Labels, err = p.labels(v)
		case "expect":
			e.Expect, err = p.expect(v)
		}
		return err
	})
	if err != nil {
		return e, err
	}
	if !defaults && e.Target == "" {
		return e, p.errf(n, "an endpoint has no target: add \"target: HOST\" to it")
	}
	return e, nil
}

func (p *parser) expect(n *yaml.Node) (Expect, error) {
	var x Expect
	err := p.mapping(n, "expect", expectKeys, func(k string, v *yaml.Node) error {
		var err error
		switch k {
		case "root":
			x.Root, err = p.str(v, "expect.root", "a root's name or SHA-256 fingerprint")
			if err == nil && strings.TrimSpace(x.Root) == "" {
				err = p.errf(v, "expect.root is empty (give a root's name, like \"ISRG Root X1\", or its SHA-256 fingerprint)")
			}
		case "issuer":
			x.Issuer, err = p.str(v, "expect.issuer", "an issuer's name or SHA-256 fingerprint")
			if err == nil && strings.TrimSpace(x.Issuer) == "" {
				err = p.errf(v, "expect.issuer is empty (give the issuing CA's name, like \"R11\", or its SHA-256 fingerprint)")
			}
		case "min_grade":
			x.MinGrade, err = p.oneOf(v, "expect.min_grade", Grades)
		case "addresses":
			var a int
			a, err = p.int(v, "expect.addresses", "a number of addresses like 2")
			if err == nil && a < 1 {
				err = p.errf(v, "expect.addresses is %d: give the number of addresses the endpoint answers at, 1 or more", a)
			}
			x.Addresses = &a
		}
		return err
	})
	return x, err
}

func (p *parser) str(n *yaml.Node, key, want string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, "%s must be %s, not %s", key, want, kind(n))
	}
	switch n.Tag {
	case "!!str", "!!int", "!!float":
		return n.Value, nil
	}
	return "", p.errf(n, "%s must be %s, not %s (quote it if it is meant as text)", key, want, kind(n))
}

func (p *parser) int(n *yaml.Node, key, want string) (int, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, p.errf(n, "%s must be %s, not %s", key, want, kind(n))
	}
	var v int
	if err := n.Decode(&v); err != nil || v > 100000 || v < -100000 {
		return 0, p.errf(n, "%s %q is out of range (give %s)", key, n.Value, want)
	}
	return v, nil
}

func (p *parser) oneOf(n *yaml.Node, key string, values []string) (string, error) {
	s, err := p.str(n, key, "one of "+strings.Join(values, ", "))
	if err != nil {
		return "", err
	}
	for _, v := range values {
		if s == v {
			return v, nil
		}
	}
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return "", p.errf(n, "%s %q is not one of %s (did you mean %s?)", key, s, strings.Join(values, ", "), v)
		}
	}
	if c := closest(s, values); c != "" {
		return "", p.errf(n, "%s %q is not one of %s (did you mean %s?)", key, s, strings.Join(values, ", "), c)
	}
	return "", p.errf(n, "%s %q is not one of %s", key, s, strings.Join(values, ", "))
}

func (p *parser) addresses(n *yaml.Node) ([]string, error) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	if len(items) == 0 {
		return nil, p.errf(n, "resolve is an empty list: give one or more IP addresses, or leave it out")
	}
	var out []string
	for _, it := range items {
		s, err := p.str(it, "resolve", "an IP address or a list of them")
		if err != nil {
			return nil, err
		}
		a := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, p.errf(it, "resolve %q is not an IP address (give the addresses to connect to, like 203.0.113.7 or 2001:db8::7)", s)
		}
		out = append(out, ip.String())
	}
	return out, nil
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func (p *parser) labels(n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "labels must be a mapping of name: value, like {team: payments}, not %s", kind(n))
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode || !labelName.MatchString(kn.Value) || strings.HasPrefix(kn.Value, "__") {
			return nil, p.errf(kn, "label name %q is not a name: use letters, digits and _, not starting with a digit or __ (as Prometheus labels)", kn.Value)
		}
		if _, dup := m[kn.Value]; dup {
			return nil, p.errf(kn, "label %q is given twice: keep one", kn.Value)
		}
		v, err := p.str(vn, "label "+kn.Value, "a text value")
		if err != nil {
			return nil, err
		}
		m[kn.Value] = v
	}
	return m, nil
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!bool":
			return "true/false"
		case "!!int", "!!float":
			return "a number"
		case "!!str":
			return "text"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "nothing"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// closest returns the known key nearest to k by edit distance, if near.
func closest(k string, known []string) string {
	best, bestD := "", 3
	norm := strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(k))
	for _, c := range known {
		if norm == c || strings.ReplaceAll(norm, "_", "") == strings.ReplaceAll(c, "_", "") {
			return c
		}
		if d := distance(norm, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Resolved returns the endpoints with the defaults applied to every value
// an endpoint does not set itself. Labels merge, the endpoint's winning.
func (f *File) Resolved() []Endpoint {
	out := make([]Endpoint, len(f.Endpoints))
	for i, e := range f.Endpoints {
		out[i] = f.Defaults.apply(e)
	}
	return out
}

// apply returns e with d's values where e has none.
func (d Endpoint) apply(e Endpoint) Endpoint {
	if len(e.Resolve) == 0 {
		e.Resolve = d.Resolve
	}
	if e.SNI == "" {
		e.SNI = d.SNI
	}
	if e.Profile == "" {
		e.Profile = d.Profile
	}
	if e.Client == "" {
		e.Client = d.Client
	}
	if e.WarnDays == nil {
		e.WarnDays = d.WarnDays
	}
	if e.StartTLS == "" {
		e.StartTLS = d.StartTLS
	}
	if len(d.Labels) > 0 {
		m := make(map[string]string, len(d.Labels)+len(e.Labels))
		for k, v := range d.Labels {
			m[k] = v
		}
		for k, v := range e.Labels {
			m[k] = v
		}
		e.Labels = m
	}
	if e.Expect.Root == "" {
		e.Expect.Root = d.Expect.Root
	}
	if e.Expect.Issuer == "" {
		e.Expect.Issuer = d.Expect.Issuer
	}
	if e.Expect.MinGrade == "" {
		e.Expect.MinGrade = d.Expect.MinGrade
	}
	if e.Expect.Addresses == nil {
		e.Expect.Addresses = d.Expect.Addresses
	}
	return e
}

// Only returns the resolved endpoints that carry at least one of labels:
// "key=value" matches that label, a bare "value" matches any label with
// that value (or named so). No labels returns every endpoint.
func (f *File) Only(labels []string) []Endpoint {
	all := f.Resolved()
	if len(labels) == 0 {
		return all
	}
	var out []Endpoint
	for _, e := range all {
		if e.Matches(labels) {
			out = append(out, e)
		}
	}
	return out
}

// Matches reports whether e carries one of labels (as Only reads them).
func (e Endpoint) Matches(labels []string) bool {
	for _, l := range labels {
		if k, v, ok := strings.Cut(l, "="); ok {
			if got, has := e.Labels[k]; has && got == v {
				return true
			}
			continue
		}
		for k, v := range e.Labels {
			if v == l || k == l {
				return true
			}
		}
	}
	return false
}

// LabelNames returns every label name the endpoints use, sorted: the
// bounded set of labels an exporter may attach.
func (f *File) LabelNames() []string {
	seen := map[string]bool{}
	for _, e := range f.Resolved() {
		for k := range e.Labels {
			seen[k] = true
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
