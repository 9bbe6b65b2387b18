package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// TestPreflightConfig: preflight reads certgate.yaml as check does. Each
// endpoint's profile: picks its sender (stripe follows no redirect, twilio
// does), sni: is the name sent and validated, resolve: where it connects,
// a starttls: endpoint is refused by name and line, targets on the command
// line are added, and --only filters.
func TestPreflightConfig(t *testing.T) {
	p := newPKI(t, "PreflightConfig")
	final, _, _ := hookServer(t, p, "final.test", answer(200))
	moved, tMoved, rMoved := hookServer(t, p, "moved.test", answer(301, "Location", "https://final.test:"+final.Port+"/done"))
	hook, _, _ := hookServer(t, p, "hook.test", answer(204))
	plain := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("mail.test")), p.inter.Cert)
	cfg := writeConfig(t, fmt.Sprintf(`defaults:
  resolve: 127.0.0.1
  labels: {env: dev}
endpoints:
  # stripe follows no redirect
  - target: https://moved.test:%[1]s/hooks
    profile: stripe
    labels: {team: pay}
  # twilio (the default) follows it
  - target: https://moved.test:%[1]s/hooks?via=twilio
    labels: {team: pay}
  # the certificate names hook.test: sni makes the alias pass
  - target: https://alias.test:%[2]s/hooks
    sni: hook.test
    profile: slack
    labels: {team: web}
  - target: mail.test:%[3]s
    starttls: smtp
    labels: {team: mail}
`, moved.Port, hook.Port, portOfAddr(t, plain)))
	base := []string{"preflight", epochArg, "--store", p.store, "--allow-private", "--timeout", "2s", "-o", "json", "--resolve", "final.test:" + final.Port + ":127.0.0.1", "--config", cfg}

	code, out, errOut := cli(t, "", append(base, rMoved, tMoved)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rs) != 5 {
		t.Fatalf("%d results, want the config's 4 and the argument's 1:\n%s", len(rs), out)
	}
	want := []struct {
		profile string
		code    result.Code
		problem string
		status  int
	}{
		{"stripe", result.CodeHTTPInvalidRedirect, result.ProblemRedirectNotFollowed, 301},
		{"twilio", 0, "", 200},
		{"slack", 0, "", 204},
		{"twilio", result.CodeInvalidURL, result.ProblemInvalidTarget, 0},
		{"twilio", 0, "", 200}, // the argument, with the run's --profile
	}
	for i, w := range want {
		r := rs[i]
		if r.Profile != w.profile || r.Code != w.code || w.problem != "" && !slices.Contains(problemIDs(r), w.problem) {
			t.Errorf("%s: profile %q code %d problems %v; want %q, %d, %s", r.Target, r.Profile, r.Code, problemIDs(r), w.profile, w.code, w.problem)
		}
		if w.status != 0 && (r.HTTP == nil || r.HTTP.Status != w.status) {
			t.Errorf("%s: http %+v, want status %d", r.Target, r.HTTP, w.status)
		}
	}
	if b := rs[2].HTTP.Budgets; b == nil || b.TotalMS != 3000 {
		t.Errorf("the slack endpoint ran under %+v, want slack's 3 s total", b)
	}
	if got := hook.Requests(); len(got) == 0 || got[0].SNI != "hook.test" {
		t.Errorf("the sni: endpoint's request went with server names %+v, want hook.test", got)
	}
	refusal := rs[3].Problems[slices.IndexFunc(rs[3].Problems, func(p result.Problem) bool { return p.ID == result.ProblemInvalidTarget })]
	if !strings.Contains(refusal.Message, filepath.Base(cfg)+":") || !strings.Contains(refusal.Message, "starttls: smtp") {
		t.Errorf("the starttls refusal does not name the entry: %q", refusal.Message)
	}

	// What a person sees: the table on a terminal, each target's profile
	// and request in -v.
	ios, _, tout, terr := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(132)
	args := append(slices.Clone(base[:len(base)-2]), "--config", cfg, "--no-color", "-o", "table", rMoved, tMoved)
	if code := run(context.Background(), args, ios); code != 1 {
		t.Errorf("table: exit %d: %s", code, terr)
	}
	goldenFile(t, "preflight_config_table_132", normalizeHTTP(tout.String(), filepath.Dir(filepath.Dir(cfg))))

	// --only keeps the endpoints with the label, and only those.
	code, out, errOut = cli(t, "", append(base, "--only", "team=web")...)
	if code != 0 {
		t.Fatalf("--only: exit %d: %s", code, errOut)
	}
	rs = nil
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Profile != "slack" {
		t.Errorf("--only team=web: %d results %+v", len(rs), rs)
	}
}

// TestPreflightConfigRefusals: an unknown profile: is exit 2 naming the
// file, the line and the profiles, in every command that reads the file
// (check and serve too, so a typo is found before a preflight needs it);
// --starttls is exit 2 naming the flag.
func TestPreflightConfigRefusals(t *testing.T) {
	cfg := writeConfig(t, `endpoints:
  - target: https://a.example.com
  - target: https://b.example.com
    profile: paypal
`)
	code, _, errOut := cli(t, "", "preflight", "--config", cfg)
	if code != 2 || !strings.Contains(errOut, cfg+":4") || !strings.Contains(errOut, `"paypal"`) || !strings.Contains(errOut, "twilio, stripe, github, slack, browser") {
		t.Errorf("unknown profile: exit %d, stderr %q", code, errOut)
	}
	typo := writeConfig(t, "endpoints:\n  - target: https://a.example.com\n    profile: twillio\n")
	for _, args := range [][]string{
		{"check", "--config", typo},
		{"serve", "--config", typo, "--listen", "127.0.0.1:0"},
	} {
		// Interrupted before it starts: a serve that took the file would
		// return at once rather than run.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ios, _, _, stderr := iostreams.Test()
		code := run(ctx, args, ios)
		errOut := stderr.String()
		if code != 2 || !strings.Contains(errOut, typo+":3") || !strings.Contains(errOut, "did you mean twilio?") {
			t.Errorf("%s with profile: twillio: exit %d, stderr %q; want 2 naming %s:3 and twilio", args[0], code, errOut, typo)
		}
	}
	code, _, errOut = cli(t, "", "preflight", "--starttls", "smtp", "mail.example.com")
	if code != 2 || !strings.Contains(errOut, "--starttls") {
		t.Errorf("--starttls: exit %d, stderr %q", code, errOut)
	}
}

// TestPreflightConfigNoPOST: endpoints from the config get HEAD, as
// arguments do; nothing is POSTed.
func TestPreflightConfigNoPOST(t *testing.T) {
	p := newPKI(t, "PreflightConfigPost")
	s, _, _ := hookServer(t, p, "hook.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cfg := writeConfig(t, fmt.Sprintf("endpoints:\n  - target: https://hook.test:%s/\n    resolve: 127.0.0.1\n    profile: github\n", s.Port))
	if code, _, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "--config", cfg); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if m := s.Methods(); len(m) != 1 || m[0] != http.MethodHead {
		t.Errorf("the endpoint saw %v, want one HEAD", m)
	}
}
