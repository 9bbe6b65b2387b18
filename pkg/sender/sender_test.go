package sender

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestProfiles checks the table's shape: the default first, each rule with
// a source, and the rules the senders publish.
func TestProfiles(t *testing.T) {
	ps := Profiles()
	if ps[0].Name != DefaultName {
		t.Fatalf("first profile %s, want %s", ps[0].Name, DefaultName)
	}
	for _, p := range ps {
		for _, r := range p.Rules() {
			if r.Value == "" || r.Source == "" {
				t.Errorf("%s: %s has value %q source %q", p.Name, r.Setting, r.Value, r.Source)
			}
			if r.Source != NotPublished && !strings.HasPrefix(r.Source, "https://") && !strings.HasPrefix(r.Source, NotPublished) {
				t.Errorf("%s: %s source %q is neither a URL nor not published", p.Name, r.Setting, r.Source)
			}
		}
	}
	tw, _ := ByName("TWILIO")
	if tw.ConnectTimeout != 5*time.Second || tw.Attempts != 2 || tw.ReadTimeout != 15*time.Second || tw.TotalTimeout != 15*time.Second ||
		!tw.RefusePrivate || tw.SNI != SNIBoth || tw.Follows(308) || !tw.Follows(307) || tw.Method != "POST" {
		t.Errorf("twilio profile: %+v", tw)
	}
	st, _ := ByName("stripe")
	if st.Follows(301) || st.Follows(302) {
		t.Error("stripe follows a redirect")
	}
	gh, _ := ByName("github")
	if gh.Attempts != 1 || gh.TotalTimeout != 10*time.Second {
		t.Errorf("github: %+v", gh)
	}
	sl, _ := ByName("slack")
	if sl.MaxRedirects != 2 || sl.TotalTimeout != 3*time.Second {
		t.Errorf("slack: %+v", sl)
	}
	br, _ := ByName("browser")
	if br.RefusePrivate || br.Stores[0] != "mozilla" || len(br.FollowCodes) == 0 {
		t.Errorf("browser: %+v", br)
	}
	var unknown *UnknownError
	if _, err := ByName("paypal"); !errors.As(err, &unknown) {
		t.Errorf("unknown profile: %v", err)
	}
	// The table is copied out: changing a copy changes nothing.
	tw.FollowCodes[0] = 999
	if again, _ := ByName("twilio"); again.FollowCodes[0] == 999 {
		t.Error("ByName returned the table's own slice")
	}
}

// TestParseOverrides is the fragment parser's table: each key at its
// bounds, and every kind of invalid pair.
func TestParseOverrides(t *testing.T) {
	tests := []struct {
		frag    string
		bad     string // the key of the OverrideError, "" when valid
		connect time.Duration
		retries int
		sni     SNI
	}{
		{frag: "", retries: -1},
		{frag: "section-2", retries: -1},
		{frag: "ct=3000&rt=8000&tt=10000&rc=2&sni=y", connect: 3 * time.Second, retries: 2, sni: SNIWith},
		{frag: "ct=100", connect: 100 * time.Millisecond, retries: -1},
		{frag: "ct=10000&rc=0&sni=n", connect: 10 * time.Second, retries: 0, sni: SNIWithout},
		{frag: "rp=ct,rt&e=ashburn", retries: -1},
		{frag: "ct=99", bad: "ct"},
		{frag: "ct=10001", bad: "ct"},
		{frag: "rt=15001", bad: "rt"},
		{frag: "tt=0", bad: "tt"},
		{frag: "rc=6", bad: "rc"},
		{frag: "rc=-1", bad: "rc"},
		{frag: "ct=abc", bad: "ct"},
		{frag: "sni=yes", bad: "sni"},
		{frag: "rp=never", bad: "rp"},
		{frag: "e=Ashburn!", bad: "e"},
		{frag: "xx=1", bad: "xx"},
		{frag: "ct=1000&ct=2000", bad: "ct"},
	}
	for _, tt := range tests {
		t.Run(tt.frag, func(t *testing.T) {
			o, err := ParseOverrides(tt.frag)
			var oe *OverrideError
			if tt.bad != "" {
				if !errors.As(err, &oe) || oe.Key != tt.bad {
					t.Fatalf("error %v, want an OverrideError for %s", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Connect != tt.connect || o.Retries != tt.retries || o.SNI != tt.sni {
				t.Errorf("got %+v", o)
			}
			p, _ := ByName("twilio")
			q := p.Apply(o)
			if tt.retries >= 0 && q.Attempts != tt.retries+1 {
				t.Errorf("attempts %d, want %d", q.Attempts, tt.retries+1)
			}
		})
	}
}

// FuzzParseOverrides: any fragment parses or gives an OverrideError, and
// what parses stays within the documented ranges.
func FuzzParseOverrides(f *testing.F) {
	for _, s := range []string{"ct=3000&rt=8000&tt=10000&rc=2&sni=y", "rp=ct,rt", "e=dublin", "=", "&&", "ct=%31%30%30", "top"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, frag string) {
		o, err := ParseOverrides(frag)
		if err != nil {
			var oe *OverrideError
			if !errors.As(err, &oe) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		for k, v := range map[string]time.Duration{KeyConnect: o.Connect, KeyRead: o.Read, KeyTotal: o.Total} {
			r := ranges[k]
			if v != 0 && (v < time.Duration(r[0])*time.Millisecond || v > time.Duration(r[1])*time.Millisecond) {
				t.Fatalf("%s=%s out of range", k, v)
			}
		}
		if o.Retries > 5 || o.Retries < -1 {
			t.Fatalf("rc=%d out of range", o.Retries)
		}
	})
}

// TestSign checks the signing input: for twilio the URL, then each POST
// parameter's name and value sorted by name; for the others the header's form.
func TestSign(t *testing.T) {
	now := time.Unix(1700000000, 0)
	secret := []byte("k")
	form := url.Values{"b": {"2"}, "a": {"1"}}
	if TwilioSignature(secret, "https://h/x", form) != TwilioSignature(secret, "https://h/x", url.Values{"a": {"1"}, "b": {"2"}}) {
		t.Error("parameter order changes the twilio signature")
	}
	if TwilioSignature(secret, "https://h/x", form) == TwilioSignature(secret, "https://h/y", form) {
		t.Error("the URL is not signed")
	}
	for _, name := range []string{"stripe", "github", "slack"} {
		p, _ := ByName(name)
		h := http.Header{}
		Sign(p, h, secret, "https://h/", []byte("{}"), nil, now)
		v := h.Get(p.SignatureHeader)
		if v == "" || strings.Contains(v, string(secret)) && len(secret) > 3 {
			t.Errorf("%s: header %q", name, v)
		}
		if name == "stripe" && !strings.HasPrefix(v, "t=1700000000,v1=") || name == "github" && !strings.HasPrefix(v, "sha256=") || name == "slack" && (!strings.HasPrefix(v, "v0=") || h.Get("X-Slack-Request-Timestamp") != "1700000000") {
			t.Errorf("%s: header %q", name, v)
		}
	}
	br, _ := ByName("browser")
	h := http.Header{}
	Sign(br, h, secret, "https://h/", nil, nil, now)
	if len(h) != 0 {
		t.Errorf("browser signs: %v", h)
	}
}
