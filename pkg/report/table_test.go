package report

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

func TestRelative(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "in less than a minute"},
		{-30 * time.Second, "less than a minute ago"},
		{time.Minute, "in 1 minute"},
		{-45 * time.Minute, "45 minutes ago"},
		{time.Hour, "in 1 hour"},
		{47 * time.Hour, "in 47 hours"},
		{2 * day, "in 2 days"},
		{3*day + 23*time.Hour, "in 3 days"},
		{-3 * day, "3 days ago"},
		{729 * day, "in 729 days"},
		{3650 * day, "in 10 years"},
		{-800 * day, "2 years ago"},
	}
	for _, tt := range tests {
		if got := relative(tt.d); got != tt.want {
			t.Errorf("relative(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCommonName(t *testing.T) {
	tests := []struct{ dn, want string }{
		{"CN=R11,O=Let's Encrypt,C=US", "R11"},
		{"O=Example,CN=Example CA", "Example CA"},
		{`CN=Acme\, Inc. CA,O=Acme`, "Acme, Inc. CA"},
		{`CN=a\+b+O=x`, "a+b"},
		{`CN=esc\1b[31m`, "esc\x1b[31m"},
		{`cn=lower`, "lower"},
		{"O=No CN,C=US", "O=No CN,C=US"},
		{"", ""},
		{`CN=trailing\`, `trailing\`},
	}
	for _, tt := range tests {
		if got := commonName(tt.dn); got != tt.want {
			t.Errorf("commonName(%q) = %q, want %q", tt.dn, got, tt.want)
		}
	}
}

func TestRootOrIssuer(t *testing.T) {
	chain := []result.Cert{{Issuer: "CN=R11,O=Let's Encrypt"}, {Issuer: "CN=ISRG Root X1,O=ISRG"}}
	tests := []struct {
		name   string
		trust  map[string]result.Verdict
		chain  []result.Cert
		stores []string
		want   string
	}{
		{"first trusted in store order", map[string]result.Verdict{
			"mozilla": {Trusted: true, Root: "M Root"}, "java": {Trusted: true, Root: "J Root"},
		}, chain, []string{"java", "mozilla"}, "J Root"},
		{"skips untrusted", map[string]result.Verdict{
			"mozilla": {Trusted: false, Root: "M Root"}, "java": {Trusted: true, Root: "J Root"},
		}, chain, []string{"mozilla", "java"}, "J Root"},
		{"store not listed, by name", map[string]result.Verdict{
			"zeta": {Trusted: true, Root: "Z Root"}, "alpha": {Trusted: true, Root: "A Root"},
		}, chain, nil, "A Root"},
		{"none trusted: last issuer CN", map[string]result.Verdict{
			"mozilla": {Trusted: false, Root: "M Root"},
		}, chain, []string{"mozilla"}, "ISRG Root X1"},
		{"no chain", nil, nil, []string{"mozilla"}, ""},
	}
	for _, tt := range tests {
		r := result.Result{Trust: tt.trust, Chain: tt.chain}
		if got := rootOrIssuer(&r, tt.stores); got != tt.want {
			t.Errorf("%s: rootOrIssuer = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestExpiresEarliestOnPath checks that EXPIRES shows the first expiry on the
// path: PathNotAfter when set, else the earliest NotAfter of the chain.
func TestExpiresEarliestOnPath(t *testing.T) {
	inter := r11(days(5)) // the intermediate expires before the leaf
	chain := []result.Cert{leaf("a.example.com", issuerR11, days(60)), inter}
	path := days(2)
	tests := []struct {
		name     string
		chain    []result.Cert
		path     *time.Time
		piped    string
		tty      string
		ttyShort string
	}{
		{"leaf only", chain[:1], nil, "2027-01-27T15:00:00Z", "2027-01-27 (in 60 days)", "in 60 days"},
		{"intermediate first", chain, nil, "2026-12-03T15:00:00Z", "2026-12-03 (in 5 days)", "in 5 days"},
		{"path not after wins", chain, &path, "2026-11-30T15:00:00Z", "2026-11-30 (in 2 days)", "in 2 days"},
		{"path only, no chain", nil, &path, "2026-11-30T15:00:00Z", "2026-11-30 (in 2 days)", "in 2 days"},
		{"nothing known", nil, nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &result.Result{Chain: tt.chain, PathNotAfter: tt.path, ValidatedAt: validatedAt}
			if got := expires(r, false); got != tt.piped {
				t.Errorf("piped = %q, want %q", got, tt.piped)
			}
			if got := expires(r, true); got != tt.tty {
				t.Errorf("tty = %q, want %q", got, tt.tty)
			}
			md := tt.tty
			if md == "" {
				md = "–"
			}
			if got := mdExpires(r); got != md {
				t.Errorf("markdown = %q, want %q", got, md)
			}
			if got := expiresShort(r); got != tt.ttyShort {
				t.Errorf("short = %q, want %q", got, tt.ttyShort)
			}
		})
	}
}

// TestTableVerboseListsEverything checks that --verbose shows every problem,
// every certificate of the chain and every store's verdict, and that without
// it the table shows only the detail (the first problem).
func TestTableVerboseListsEverything(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		got := string(render(t, "table", ios, out, Options{Stores: testStores, Width: 400, Verbose: verbose}, fixtures(), shuffleOrder))
		for _, r := range fixtures() {
			var want []string // patterns shown only with --verbose
			q := regexp.QuoteMeta
			for _, p := range r.Problems {
				if !strings.Contains(r.Detail, p.Message) {
					want = append(want, q(Sanitize(p.Message)))
				}
				want = append(want, q(string(p.Severity))+` +`+q(p.ID))
			}
			for _, c := range r.Chain {
				want = append(want, q(Sanitize(c.Subject))+`\n`, `issuer +`+q(Sanitize(c.Issuer)), `\n +not after +`+q(c.NotAfter.UTC().Format(time.RFC3339)))
			}
			for name, v := range r.Trust {
				verdict := "trusted"
				if !v.Trusted {
					verdict = "not trusted"
				}
				want = append(want, `\n +`+name+` +`+verdict)
			}
			for _, w := range want {
				if regexp.MustCompile(w).MatchString(got) != verbose {
					t.Errorf("verbose=%v: %q shown = %v", verbose, w, !verbose)
				}
			}
		}
	}
}
