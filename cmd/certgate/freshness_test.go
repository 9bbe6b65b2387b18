package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/truststore"
)

func TestWarnStaleStores(t *testing.T) {
	snap := time.Date(2026, 8, 18, 0, 0, 0, 0, time.UTC)
	dated := func(name string, d time.Time) *truststore.Store {
		s := truststore.New(name, "v", nil)
		s.Date = d
		return s
	}
	day := 24 * time.Hour
	tests := []struct {
		name   string
		stores []*truststore.Store
		now    time.Time
		want   []string // substrings of the one warning; nil: no output
	}{
		{"fresh", []*truststore.Store{dated("mozilla", snap)}, snap.Add(30 * day), nil},
		{"exactly 180 days", []*truststore.Store{dated("mozilla", snap)}, snap.Add(180 * day), nil},
		{"181 days", []*truststore.Store{dated("mozilla", snap)}, snap.Add(181 * day),
			[]string{"store mozilla (snapshot 2026-08-18, 181 days old) is older than 180 days", "go install github.com/certgate/certgate/cmd/certgate@latest", "go run ./scripts/genroots"}},
		{"two stale, one line", []*truststore.Store{dated("mozilla", snap), dated("java", snap.Add(-10*day))}, snap.Add(200 * day),
			[]string{"stores mozilla (snapshot 2026-08-18, 200 days old) and java (snapshot 2026-08-08, 210 days old) are older"}},
		{"one of two stale", []*truststore.Store{dated("mozilla", snap.Add(100*day)), dated("java", snap)}, snap.Add(200 * day),
			[]string{"store java (snapshot"}},
		{"user file has no date", []*truststore.Store{truststore.New("roots.pem", "", nil)}, snap.Add(1000 * day), nil},
		{"no stores", nil, snap, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			warnStaleStores(ios, tt.stores, tt.now)
			if out.Len() != 0 {
				t.Errorf("stdout %q", out)
			}
			got := errOut.String()
			if tt.want == nil {
				if got != "" {
					t.Errorf("stderr %q, want nothing", got)
				}
				return
			}
			if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "certgate: warning: ") {
				t.Errorf("stderr %q, want one warning line", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("warning %q lacks %q", got, w)
				}
			}
		})
	}
}

// TestCheckWarnsStaleStores runs check with its clock a year after the
// embedded snapshots: one warning on stderr, whatever the number of
// targets, and none when the clock is at the snapshot.
func TestCheckWarnsStaleStores(t *testing.T) {
	moz, err := truststore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	p := newPKI(t, "Fresh")
	addr := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	for _, c := range []struct {
		name string
		now  time.Time
		want int
	}{
		{"stale", moz.Date.AddDate(1, 0, 0), 1},
		{"current", moz.Date.AddDate(0, 1, 0), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			var opts *checkOptions
			cmd := newCheckCmd(ios, func(_ context.Context, o *checkOptions) error { opts = o; return nil })
			cmd.SetArgs([]string{epochArg, "-o", "json", "--store", "mozilla,java," + p.store, addr, addr})
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			opts.Now = func() time.Time { return c.now }
			_ = runCheck(context.Background(), opts)
			if n := strings.Count(errOut.String(), "warning: the embedded trust"); n != c.want {
				t.Errorf("%d stale-store warnings, want %d; stderr:\n%s", n, c.want, errOut)
			}
		})
	}
}
