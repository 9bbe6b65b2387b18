package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr(n int) *int { return &n }

func TestLoad(t *testing.T) {
	p := write(t, `defaults:
  warn_days: 21
  client: java-17
  labels: {env: prod}
  expect:
    root: ISRG Root X1
endpoints:
  - target: https://api.example.com
    labels: {team: payments}
  - target: mail.example.com:465
    resolve: [203.0.113.7, "2001:db8::7"]
    sni: mail.example.net
    warn_days: 7
    starttls: smtp
    labels: {team: mail, env: staging}
    expect: {issuer: R11, min_grade: A, addresses: 2}
`)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{Target: "https://api.example.com", Client: "java-17", WarnDays: ptr(21),
			Labels: map[string]string{"env": "prod", "team": "payments"}, Expect: Expect{Root: "ISRG Root X1"}, Line: 8},
		{Target: "mail.example.com:465", Resolve: []string{"203.0.113.7", "2001:db8::7"}, SNI: "mail.example.net", Client: "java-17",
			WarnDays: ptr(7), StartTLS: "smtp", Labels: map[string]string{"env": "staging", "team": "mail"},
			Expect: Expect{Root: "ISRG Root X1", Issuer: "R11", MinGrade: "A", Addresses: ptr(2)}, Line: 10},
	}
	if got := f.Resolved(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Resolved:\n got %+v\nwant %+v", got, want)
	}
	if f.Path != p {
		t.Errorf("Path = %q, want %q", f.Path, p)
	}
	if got := f.LabelNames(); !reflect.DeepEqual(got, []string{"env", "team"}) {
		t.Errorf("LabelNames = %v", got)
	}
}

func TestOnly(t *testing.T) {
	f, err := Parse("c.yaml", []byte(`endpoints:
  - target: a.example
    labels: {team: payments, env: prod}
  - target: b.example
    labels: {team: mail, env: prod}
  - target: c.example
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		only []string
		want []string
	}{
		{nil, []string{"a.example", "b.example", "c.example"}},
		{[]string{"team=payments"}, []string{"a.example"}},
		{[]string{"prod"}, []string{"a.example", "b.example"}},
		{[]string{"mail", "payments"}, []string{"a.example", "b.example"}},
		{[]string{"team=prod"}, nil},
		{[]string{"env=staging"}, nil},
	} {
		var got []string
		for _, e := range f.Only(tc.only) {
			got = append(got, e.Target)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Only(%v) = %v, want %v", tc.only, got, tc.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		line       int
		want       string
	}{
		{"empty", "", 0, "is empty"},
		{"syntax", "endpoints:\n  - target: a\n\tsni: b\n", 2, "not valid YAML"},
		{"not a mapping", "- a\n", 1, "must be a mapping"},
		{"unknown top", "endpoint:\n  - target: a\n", 1, `did you mean endpoints?`},
		{"unknown key", "endpoints:\n  - target: a.example\n    warndays: 3\n", 3, `unknown key "warndays" in an endpoint (did you mean warn_days?`},
		{"unknown expect key", "endpoints:\n  - target: a.example\n    expect: {rot: X}\n", 3, `did you mean root?`},
		{"no endpoints", "defaults: {warn_days: 3}\n", 1, "no endpoints"},
		{"endpoints not list", "endpoints: a.example\n", 1, "must be a list"},
		{"plain string", "endpoints:\n  - a.example\n", 2, `write it as "- target: a.example"`},
		{"no target", "endpoints:\n  - sni: a.example\n", 2, "has no target"},
		{"bad target", "endpoints:\n  - target: 'https://a.example:99999'\n", 2, "target"},
		{"bad warn_days", "endpoints:\n  - target: a.example\n    warn_days: soon\n", 3, "warn_days must be a number of days"},
		{"negative warn_days", "endpoints:\n  - target: a.example\n    warn_days: -1\n", 3, "negative"},
		{"bad resolve", "endpoints:\n  - target: a.example\n    resolve: [a.example]\n", 3, "not an IP address"},
		{"bad starttls", "endpoints:\n  - target: a.example\n    starttls: gopher\n", 3, "is not one of ftp, imap"},
		{"misspelt profile", "endpoints:\n  - target: a.example\n    profile: twillio\n", 3, `profile "twillio" is not one of twilio, stripe, github, slack, browser (did you mean twilio?)`},
		{"profile in the wrong case", "defaults:\n  profile: GitHub\nendpoints:\n  - target: a.example\n", 2, "(did you mean github?)"},
		{"unknown profile", "endpoints:\n  - target: a.example\n    profile: paypal\n", 3, `profile "paypal" is not one of twilio`},
		{"misspelt starttls", "endpoints:\n  - target: a.example\n    starttls: smpt\n", 3, "(did you mean smtp?)"},
		{"bad grade", "endpoints:\n  - target: a.example\n    expect: {min_grade: Z}\n", 3, "expect.min_grade"},
		{"bad addresses", "endpoints:\n  - target: a.example\n    expect: {addresses: 0}\n", 3, "1 or more"},
		{"bad label", "endpoints:\n  - target: a.example\n    labels: {9x: a}\n", 3, "not a name"},
		{"label list", "endpoints:\n  - target: a.example\n    labels: [a]\n", 3, "labels must be a mapping"},
		{"defaults target", "defaults:\n  target: a.example\nendpoints:\n  - target: b.example\n", 2, "defaults cannot have a target"},
		{"duplicate", "endpoints:\n  - target: a.example\n  - target: a.example\n", 3, "listed twice (also on line 2)"},
		{"duplicate key", "endpoints:\n  - target: a.example\n    sni: a.example\n    sni: b.example\n", 4, "given twice"},
		{"bool sni", "endpoints:\n  - target: a.example\n    sni: true\n", 3, "quote it"},
		{"two documents", "endpoints:\n  - target: a.example\n---\nendpoints: []\n", 3, "second YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.body)
			_, err := Load(p)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error = %v (%T), want *Error", err, err)
			}
			if ce.Path != p || ce.Line != tc.line || !strings.Contains(ce.Msg, tc.want) {
				t.Errorf("error = %q (line %d), want line %d containing %q", err, ce.Line, tc.line, tc.want)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), p+":"+strconv.Itoa(tc.line)+": ") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing.yaml"), dir} {
		_, err := Load(p)
		var ce *Error
		if !errors.As(err, &ce) || ce.Path != p {
			t.Errorf("Load(%s) = %v, want *Error naming it", p, err)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if _, ok := Find(dir); ok {
		t.Fatal("Find found a file in an empty directory")
	}
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("endpoints: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, ok := Find(dir); !ok || got != p {
		t.Fatalf("Find = %q, %v; want %q", got, ok, p)
	}
}
