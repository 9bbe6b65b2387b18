package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/hooktest"
	"github.com/certgate/certgate/internal/proxytest"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// TestPreflightPostOnly: an endpoint that refuses HEAD and GET as a
// POST-only handler does (405, Allow: POST) is reachable: the default
// preflight warns (http-post-only, exit 0) and says how to try the POST;
// --method POST then gets its 2xx.
func TestPreflightPostOnly(t *testing.T) {
	p := newPKI(t, "PostOnly")
	s, target, resolve := hookServer(t, p, "hook.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	code, out, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "-o", "json", resolve, target)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (a warning): %s %s", code, out, errOut)
	}
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != result.StatusWarn || rs[0].Code != 0 || !slices.Contains(problemIDs(rs[0]), result.ProblemHTTPPostOnly) {
		t.Fatalf("status %s code %d problems %v, want a warning with %s", rs[0].Status, rs[0].Code, problemIDs(rs[0]), result.ProblemHTTPPostOnly)
	}
	if m := s.Methods(); !slices.Equal(m, []string{"HEAD", "GET"}) {
		t.Errorf("the endpoint saw %v, want HEAD and GET only", m)
	}
	if code, _, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "--method", "POST", resolve, target); code != 0 {
		t.Errorf("--method POST: exit %d: %s", code, errOut)
	}
	if m := s.Methods(); m[len(m)-1] != "POST" {
		t.Errorf("--method POST sent %v", m)
	}
}

// TestPreflightDataFile: --method POST --data @FILE sends the file's bytes
// as they are, with the profile's content type, signed as the sender signs
// when --secret-env is given: the signature a test server computes with
// the sender's documented algorithm matches.
func TestPreflightDataFile(t *testing.T) {
	const secret = "whsec-data-file-71b2"
	t.Setenv("CERTGATE_TEST_HOOK_SECRET", secret)
	p := newPKI(t, "DataFile")
	dir := t.TempDir()
	for _, c := range []struct {
		profile, contentType, header string
		body                         string
		sign                         func(fullURL string, body []byte) string
	}{
		{"github", "application/json", "X-Hub-Signature-256", "{\"zen\": \"Keep it logically awesome.\", \"note\": \"h\u00e9llo\"}\n",
			func(_ string, body []byte) string {
				m := hmac.New(sha256.New, []byte(secret))
				m.Write(body)
				return "sha256=" + hex.EncodeToString(m.Sum(nil))
			}},
		{"twilio", "application/x-www-form-urlencoded", "X-Twilio-Signature", "To=%2B15005550006&From=%2B15005550001&Body=Hello+%C3%A9&MessageSid=SM1",
			func(fullURL string, body []byte) string {
				form, _ := url.ParseQuery(string(body))
				keys := make([]string, 0, len(form))
				for k := range form {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				data := fullURL
				for _, k := range keys {
					data += k + form.Get(k)
				}
				m := hmac.New(sha1.New, []byte(secret))
				m.Write([]byte(data))
				return base64.StdEncoding.EncodeToString(m.Sum(nil))
			}},
	} {
		t.Run(c.profile, func(t *testing.T) {
			file := filepath.Join(dir, c.profile+".body")
			if err := os.WriteFile(file, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			s, target, resolve := hookServer(t, p, "hook.test", answer(200))
			for _, signed := range []bool{false, true} {
				args := []string{"preflight", epochArg, "--store", p.store, "--allow-private", "--profile", c.profile, "--method", "POST", "--data", "@" + file, resolve, target}
				if signed {
					args = append(args, "--secret-env", "CERTGATE_TEST_HOOK_SECRET")
				}
				code, out, errOut := cli(t, "", args...)
				if code != 0 {
					t.Fatalf("signed %v: exit %d: %s %s", signed, code, out, errOut)
				}
				if strings.Contains(out+errOut, secret) {
					t.Errorf("the secret is in the output")
				}
				rs := s.Requests()
				got := rs[len(rs)-1]
				if got.Method != "POST" || string(got.Body) != c.body {
					t.Fatalf("signed %v: the endpoint got %s %q, want POST %q", signed, got.Method, got.Body, c.body)
				}
				if ct := got.Header.Get("Content-Type"); ct != c.contentType {
					t.Errorf("content type %q, want %q", ct, c.contentType)
				}
				sig := got.Header.Get(c.header)
				if !signed && sig != "" {
					t.Errorf("unsigned request has %s: %q", c.header, sig)
				}
				if want := c.sign(target, []byte(c.body)); signed && sig != want {
					t.Errorf("%s %q, want %q (the sender's algorithm over the file's bytes)", c.header, sig, want)
				}
			}
		})
	}
}

// TestPreflightProxyHopNote: through --proxy the names of the endpoint and
// of each redirect hop are resolved beyond the proxy, so their addresses
// are not judged against the private-address rule: one info note names
// them, and the request still passes.
func TestPreflightProxyHopNote(t *testing.T) {
	p := newPKI(t, "ProxyHop")
	final := hooktest.Start(t, p.inter.Leaf(t, testpki.DNS("final.test")), []*x509.Certificate{p.inter.Cert}, answer(200))
	_, target, _ := hookServer(t, p, "hook.test", answer(302, "Location", "https://final.test:"+final.Port+"/done"))
	px := proxytest.Start(t)
	code, out, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "-o", "json", "--proxy", px.URL("", ""), target)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, q := range rs[0].Problems {
		if q.ID == result.ProblemAddressUnchecked && q.Severity == result.SeverityInfo {
			notes = append(notes, q.Message)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "hook.test, final.test") {
		t.Errorf("notes %q, want one for the endpoint and one for the hop\n%s", notes, out)
	}
	if rs[0].HTTP == nil || rs[0].HTTP.Status != 200 || len(rs[0].HTTP.Redirects) != 1 {
		t.Errorf("http %+v", rs[0].HTTP)
	}
}
