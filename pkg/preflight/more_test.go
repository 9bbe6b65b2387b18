package preflight

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/hooktest"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/truststore"
)

// block answers only when the client gives up (or after the test).
func block(done <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
}

// TestHTTPLegLimits covers what stops the leg before a status: the
// private-address rule, plain HTTP on the port, the budgets, a failing
// certificate and a bad override.
func TestHTTPLegLimits(t *testing.T) {
	p := newPKI(t)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	e := testpki.Epoch
	tests := []struct {
		name     string
		server   func(t *testing.T) *hooktest.Server
		fragment string
		allow    bool
		status   result.Status
		code     result.Code
		id       string
		sev      result.Severity
		noReq    bool // the endpoint must see no request
		// requests and attempts, when set, are the requests the endpoint
		// must see and http.attempts.
		requests, attempts int
	}{
		{name: "loopback refused without --allow-private", server: func(t *testing.T) *hooktest.Server { return p.serve(t, status(200), "hook.test") },
			status: result.StatusError, code: result.CodeHTTPRetrieval, id: result.ProblemPrivateAddress, sev: result.SeverityError, noReq: true},
		{name: "plain HTTP on the port", server: func(t *testing.T) *hooktest.Server { return hooktest.StartPlain(t, status(200)) }, allow: true,
			status: result.StatusError, code: result.CodeHTTPProtocol, id: result.ProblemPlainHTTP, sev: result.SeverityError},
		{name: "read timeout", server: func(t *testing.T) *hooktest.Server { return p.serve(t, block(done), "hook.test") }, fragment: "#rt=200&tt=5000", allow: true,
			status: result.StatusError, code: result.CodeConnFailure, id: result.ProblemHTTPReadTimeout, sev: result.SeverityError},
		{name: "total budget", server: func(t *testing.T) *hooktest.Server { return p.serve(t, block(done), "hook.test") }, fragment: "#tt=300", allow: true,
			status: result.StatusError, code: result.CodeHTTPTotalTimeout, id: result.ProblemHTTPTotalTimeout, sev: result.SeverityError},
		{name: "expired certificate keeps its code", server: func(t *testing.T) *hooktest.Server {
			return hooktest.Start(t, p.root.Leaf(t, testpki.DNS("hook.test"), testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -1))), nil, status(404))
		}, allow: true, status: result.StatusFail, code: result.CodeExpired, id: result.ProblemHTTPSkipped, sev: result.SeverityInfo, noReq: true},
		{name: "a 5xx retried passes on the second attempt", server: func(t *testing.T) *hooktest.Server { return p.serve(t, failFirst(1), "hook.test") }, fragment: "#rc=2&rp=5xx", allow: true,
			status: result.StatusWarn, id: result.ProblemPrivateAddress, sev: result.SeverityWarn, requests: 2, attempts: 2},
		{name: "a 5xx retried fails every attempt", server: func(t *testing.T) *hooktest.Server { return p.serve(t, status(503), "hook.test") }, fragment: "#rc=2&rp=5xx", allow: true,
			status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, requests: 3, attempts: 3},
		{name: "a 5xx is not retried without rp=5xx", server: func(t *testing.T) *hooktest.Server { return p.serve(t, failFirst(1), "hook.test") }, fragment: "#rc=2", allow: true,
			status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, requests: 1, attempts: 1},
		{name: "a POST-only endpoint's 405 is not retried with rp=4xx", server: func(t *testing.T) *hooktest.Server {
			return p.serve(t, status(405, "Allow", "POST"), "hook.test")
		}, fragment: "#rc=2&rp=4xx", allow: true, status: result.StatusWarn, id: result.ProblemHTTPPostOnly, sev: result.SeverityWarn, requests: 2, attempts: 1},
		{name: "connections refused after the check's handshake", server: func(t *testing.T) *hooktest.Server {
			return hooktest.StartRefusingAfter(t, p.root.Leaf(t, testpki.DNS("hook.test")), nil, 1, status(200))
		}, allow: true, status: result.StatusError, code: result.CodeConnFailure, id: result.ProblemHTTPConnect, sev: result.SeverityError, noReq: true, attempts: 2},
		{name: "garbage after the handshake", server: func(t *testing.T) *hooktest.Server { return p.serve(t, raw("garbage, not HTTP\r\n\r\n"), "hook.test") }, allow: true,
			status: result.StatusError, code: result.CodeHTTPProtocol, id: result.ProblemHTTPMalformed, sev: result.SeverityError, attempts: 1},
		{name: "closed after the handshake without a response", server: func(t *testing.T) *hooktest.Server { return p.serve(t, raw(""), "hook.test") }, allow: true,
			status: result.StatusError, code: result.CodeHTTPRetrieval, id: result.ProblemHTTPNoResponse, sev: result.SeverityError, attempts: 1},
		{name: "override out of range", server: func(t *testing.T) *hooktest.Server { return p.serve(t, status(200), "hook.test") }, fragment: "#ct=99999", allow: true,
			status: result.StatusError, code: result.CodeInvalidURL, id: result.ProblemOverrideInvalid, sev: result.SeverityError, noReq: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.server(t)
			r := p.run(t, "https://hook.test:"+s.Port+"/hooks"+tt.fragment, Config{AllowPrivate: tt.allow}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
			if r.Status != tt.status || r.Code != tt.code {
				t.Fatalf("status %s code %d (%s), want %s %d; problems %v", r.Status, r.Code, r.Detail, tt.status, tt.code, ids(r))
			}
			if !hasID(r, tt.id, tt.sev) {
				t.Errorf("no %s/%s problem: %v", tt.id, tt.sev, ids(r))
			}
			if tt.noReq && len(s.Requests()) > 0 {
				t.Errorf("the endpoint got %v", s.Methods())
			}
			if tt.requests != 0 && len(s.Requests()) != tt.requests {
				t.Errorf("the endpoint got %v, want %d requests", s.Methods(), tt.requests)
			}
			if tt.attempts != 0 && (r.HTTP == nil || r.HTTP.Attempts != tt.attempts) {
				t.Errorf("http %+v, want %d attempts", r.HTTP, tt.attempts)
			}
		})
	}
}

// failFirst answers 503 to the first n requests, then 200.
func failFirst(n int) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n--
		fail := n >= 0
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
}

// TestOverridesEchoed checks that valid fragment overrides apply and are
// echoed in http.overrides, and that the fragment is never sent.
func TestOverridesEchoed(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, status(200), "hook.test")
	r := p.run(t, "https://hook.test:"+s.Port+"/h#ct=3000&rt=8000&tt=10000&rc=2&sni=y", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if r.HTTP == nil || r.HTTP.Overrides["rc"] != "2" || r.HTTP.Overrides["sni"] != "y" || len(r.HTTP.Overrides) != 5 {
		t.Fatalf("overrides not echoed: %+v", r.HTTP)
	}
	if strings.Join(r.HTTP.SNI, ",") != "with" {
		t.Errorf("sni=y gives %v, want [with]", r.HTTP.SNI)
	}
	if got := s.Requests()[0].URL; got != "/h" {
		t.Errorf("request URI %q, want /h", got)
	}
}

// TestSNIRequired: twilio may connect without SNI; a server whose default
// certificate does not match warns.
func TestSNIRequired(t *testing.T) {
	p := newPKI(t)
	good := p.root.Leaf(t, testpki.DNS("hook.test")).TLSCert()
	other := p.root.Leaf(t, testpki.DNS("default.test")).TLSCert()
	s := hooktest.StartTLS(t, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName == "" {
			return &other, nil
		}
		return &good, nil
	}}, status(200))
	r := p.run(t, "https://hook.test:"+s.Port+"/", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if !hasID(r, result.ProblemSNIRequired, result.SeverityWarn) || r.Status != result.StatusWarn {
		t.Fatalf("status %s, problems %v: want an sni-required warning", r.Status, ids(r))
	}
	r = p.run(t, "https://hook.test:"+s.Port+"/#sni=y", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if hasID(r, result.ProblemSNIRequired, result.SeverityWarn) {
		t.Errorf("#sni=y still warns: %v", ids(r))
	}
}

// Each profile's signature, recomputed here from the sender's documented
// algorithm, independently of package sender.
func expectSignature(profile string, secret []byte, fullURL string, h http.Header, body []byte) (string, string) {
	hexMAC := func(data string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(data))
		return hex.EncodeToString(m.Sum(nil))
	}
	switch profile {
	case "twilio":
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
		m := hmac.New(sha1.New, secret)
		m.Write([]byte(data))
		return "X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil))
	case "stripe":
		sig := h.Get("Stripe-Signature")
		ts := strings.TrimPrefix(strings.Split(sig, ",")[0], "t=")
		return "Stripe-Signature", "t=" + ts + ",v1=" + hexMAC(ts+"."+string(body))
	case "github":
		return "X-Hub-Signature-256", "sha256=" + hexMAC(string(body))
	case "slack":
		return "X-Slack-Signature", "v0=" + hexMAC("v0:"+h.Get("X-Slack-Request-Timestamp")+":"+string(body))
	}
	return "", ""
}

// TestSignedPOST: with --method POST and a secret, each profile signs as
// its sender documents, the endpoint's own check accepts it, and the
// secret appears nowhere in the result.
func TestSignedPOST(t *testing.T) {
	p := newPKI(t)
	secret := []byte("s3cr3t-token-4d9a")
	for _, name := range []string{"twilio", "stripe", "github", "slack"} {
		t.Run(name, func(t *testing.T) {
			var s *hooktest.Server
			verified := make(chan bool, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body := make([]byte, 0)
				if rq := s.Requests(); len(rq) > 0 {
					body = rq[len(rq)-1].Body
				}
				hdr, want := expectSignature(name, secret, "https://hook.test:"+s.Port+r.URL.RequestURI(), r.Header, body)
				ok := r.Header.Get(hdr) == want && want != ""
				verified <- ok
				if !ok {
					w.WriteHeader(http.StatusForbidden)
				}
			})
			s = p.serve(t, h, "hook.test")
			prof, _ := sender.ByName(name)
			body := []byte(`{"event":"test"}`)
			if name == "twilio" {
				body = []byte("To=%2B15005550006&From=%2B15005550001&Body=hello")
			}
			r := p.run(t, "https://hook.test:"+s.Port+"/hooks?x=1", Config{Profile: prof, AllowPrivate: true, Method: "POST", Body: body, Secret: secret},
				map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
			if !<-verified {
				t.Fatalf("the endpoint's signature check refused the request: %+v", s.Requests()[0].Header)
			}
			if r.Code != 0 || r.HTTP.Method != "POST" {
				t.Fatalf("code %d method %s: %v", r.Code, r.HTTP.Method, ids(r))
			}
			if got := s.Requests()[0].Header.Get("Content-Type"); got != prof.ContentType {
				t.Errorf("content type %q, want %q", got, prof.ContentType)
			}
			js, _ := json.Marshal(r)
			if strings.Contains(string(js), string(secret)) {
				t.Errorf("the secret is in the result: %s", js)
			}
		})
	}
}

// TestNginxRedirects runs the leg against a real nginx: a followed 301, a
// 308 twilio does not follow, a redirect to http://, a loop and a 410.
// /ok also sends Strict-Transport-Security: a webhook sender is not a
// browser and keeps no HSTS policy (it calls the https:// URL it was
// given), so preflight does not judge the header: /ok passes with no
// problem of its own, with or without it.
func TestNginxRedirects(t *testing.T) {
	p := newPKI(t)
	leaf := p.root.Leaf(t, testpki.DNS("nginx.test"))
	port := hooktest.Nginx(t, leaf, nil, `
    location = /ok { add_header Strict-Transport-Security "max-age=63072000" always; return 200 "ok\n"; }
    location = /moved { return 301 /ok; }
    location = /perm { return 308 /ok; }
    location = /plain { return 302 http://nginx.test/ok; }
    location = /loop-a { return 302 /loop-b; }
    location = /loop-b { return 302 /loop-a; }
    location = /gone { return 410; }`)
	for _, c := range []struct {
		path string
		code result.Code
		id   string
	}{
		{"/ok", 0, ""},
		{"/moved", 0, ""},
		{"/perm", result.CodeHTTPInvalidRedirect, result.ProblemRedirectNotFollowed},
		{"/plain", result.CodeHTTPInvalidRedirect, result.ProblemRedirectToHTTP},
		{"/loop-a", result.CodeHTTPTooManyRedirects, result.ProblemRedirectLoop},
		{"/gone", result.CodeHTTPErrorStatus, result.ProblemHTTPStatus},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := p.run(t, "https://nginx.test:"+port+c.path, Config{AllowPrivate: true}, map[string]string{"nginx.test:" + port: "127.0.0.1"})
			if r.Code != c.code || c.id != "" && !hasID(r, c.id, result.SeverityError) {
				t.Fatalf("code %d (%s), want %d %s; problems %v", r.Code, r.Detail, c.code, c.id, ids(r))
			}
			if c.code == 0 && (r.HTTP == nil || r.HTTP.Status != 200) {
				t.Errorf("http %+v, want 200", r.HTTP)
			}
			if want := []string{result.ProblemNonPublicName + "/warn", result.ProblemPrivateAddress + "/warn"}; c.code == 0 && !slices.Equal(ids(r), want) {
				t.Errorf("problems %v, want only %v (the test's name and address)", ids(r), want)
			}
		})
	}
}

// TestNotHTTPS: preflight of a TLS service that is not HTTPS is an invalid
// target, with no request made.
func TestNotHTTPS(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, status(200), "hook.test")
	r := p.run(t, "smtps://hook.test:"+s.Port, Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if r.Code != result.CodeInvalidURL || !hasID(r, result.ProblemInvalidTarget, result.SeverityError) || len(s.Requests()) > 0 {
		t.Fatalf("code %d problems %v requests %v", r.Code, ids(r), s.Methods())
	}
}

// TestSlowWarns: an answer after more than half the read timeout warns.
// The server waits 1.6 s against a read timeout of 3 s: the warning's
// condition holds however slow the machine, up to the timeout itself.
func TestSlowWarns(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1600 * time.Millisecond)
	}), "hook.test")
	r := p.run(t, "https://hook.test:"+s.Port+"/#rt=3000&tt=15000", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if r.Code != 0 || !hasID(r, result.ProblemHTTPSlow, result.SeverityWarn) {
		t.Fatalf("code %d problems %v", r.Code, ids(r))
	}
	if len(r.HTTP.Tries) != 1 || r.HTTP.Tries[0].TotalMS < 1600 {
		t.Errorf("tries %+v", r.HTTP.Tries)
	}
}

// TestBodyBounded: a GET whose body never ends passes, read only up to
// MaxBody and discarded (reading it all would run out the total budget).
func TestBodyBounded(t *testing.T) {
	p := newPKI(t)
	written := make(chan int, 1)
	s := p.serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		chunk := make([]byte, 32<<10)
		n := 0
		for {
			if _, err := w.Write(chunk); err != nil {
				written <- n
				return
			}
			n += len(chunk)
		}
	}), "hook.test")
	r := p.run(t, "https://hook.test:"+s.Port+"/#tt=5000", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if r.Code != 0 || r.HTTP.Method != "GET" || r.HTTP.Status != 200 {
		t.Fatalf("code %d http %+v problems %v", r.Code, r.HTTP, ids(r))
	}
	// The server gets ahead of the reader by the socket buffers, a few MiB
	// at most; a reader that did not stop would take gigabytes.
	if n := <-written; n > 64<<20 {
		t.Errorf("the server wrote %d bytes before the client hung up", n)
	}
}

// FuzzCredentialsStrip: whatever the input, what Strip returns has no
// user information left in a scheme://authority.
func FuzzCredentialsStrip(f *testing.F) {
	for _, s := range []string{"https://u:p@h/x", "https://h/x@y", "u:p@h", "https://@h", "https://a@b@c/d?e@f#g@h", " https://u@h "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var c Credentials
		out := c.Strip(0, raw)
		scheme, rest, ok := strings.Cut(strings.TrimSpace(out), "://")
		if !ok || scheme == "" {
			return
		}
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if strings.Contains(rest[:end], "@") {
			t.Fatalf("Strip(%q) = %q keeps user information", raw, out)
		}
		if c.Has(0) != (out != raw) {
			t.Fatalf("Strip(%q) = %q, Has %v", raw, out, c.Has(0))
		}
	})
}

// raw answers every request with the bytes given, over the hijacked
// connection, so a test can send what net/http's server never would.
func raw(resp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		buf.WriteString(resp)
		buf.Flush()
	})
}

// TestServerTextBounded: a reason phrase or Location the server made
// huge is cut in the message and the result, never repeated whole.
func TestServerTextBounded(t *testing.T) {
	p := newPKI(t)
	long := strings.Repeat("x", 20000)
	tests := []struct {
		name string
		resp string
		id   string
	}{
		{"long reason phrase", "HTTP/1.1 500 " + long + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", result.ProblemHTTPStatus},
		{"long unusable Location", "HTTP/1.1 302 Found\r\nLocation: http://[" + long + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", result.ProblemRedirectNoLocation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := p.serve(t, raw(tt.resp), "hook.test")
			r := p.run(t, "https://hook.test:"+s.Port+"/", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
			if !hasID(r, tt.id, result.SeverityError) {
				t.Fatalf("no %s problem: %v (%s)", tt.id, ids(r), r.Detail)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 8000 {
				t.Errorf("the result is %d bytes of JSON: the server's text is repeated unbounded", len(b))
			}
			for _, pr := range r.Problems {
				if len(pr.Message) > 600 {
					t.Errorf("problem %s message of %d bytes", pr.ID, len(pr.Message))
				}
			}
		})
	}
}

// TestTimingsRecorded: a real server's exchange records every phase: a
// TCP connect and a handshake take some time, however fast the machine.
func TestTimingsRecorded(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, status(204), "hook.test")
	r := p.run(t, "https://hook.test:"+s.Port+"/", Config{AllowPrivate: true}, map[string]string{"hook.test:" + s.Port: "127.0.0.1"})
	if r.Code != 0 || r.HTTP == nil || len(r.HTTP.Tries) != 1 {
		t.Fatalf("code %d http %+v problems %v", r.Code, r.HTTP, ids(r))
	}
	for _, tm := range []result.Timings{r.HTTP.Timings, r.HTTP.Tries[0]} {
		if tm.ConnectMS <= 0 || tm.TLSMS <= 0 || tm.FirstByteMS <= 0 || tm.TotalMS < tm.FirstByteMS {
			t.Errorf("timings %+v: every phase must be recorded", tm)
		}
	}
	if r.HTTP.DurationMS <= 0 {
		t.Errorf("duration %v", r.HTTP.DurationMS)
	}
}

// TestSlowConnectWarns: a connect that takes more than half the profile's
// connect timeout warns (http-slow), as a slow first byte does. The
// network waits 1.2 s before each connect against a connect timeout of
// 2 s: the condition holds however slow the machine, up to the timeout.
func TestSlowConnectWarns(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, status(200), "hook.test")
	dialer := hooktest.SlowDialer{Delay: 1200 * time.Millisecond}
	cfg := Config{AllowPrivate: true, Dialer: dialer}
	r := p.runDialer(t, "https://hook.test:"+s.Port+"/#ct=2000&sni=y", cfg, dialer)
	if r.Code != 0 || !hasID(r, result.ProblemHTTPSlow, result.SeverityWarn) {
		t.Fatalf("code %d problems %v", r.Code, ids(r))
	}
	msg := r.Problems[slices.IndexFunc(r.Problems, func(q result.Problem) bool { return q.ID == result.ProblemHTTPSlow })].Message
	if !strings.Contains(msg, "connect") {
		t.Errorf("the warning does not name the connect: %s", msg)
	}
	if r.HTTP.Timings.ConnectMS < 1200 {
		t.Errorf("connect_ms %v, want at least the network's 1200", r.HTTP.Timings.ConnectMS)
	}
	// Through a dialer that resolves names itself (a proxy), the address
	// was not judged, and a note says so.
	if !hasID(r, result.ProblemAddressUnchecked, result.SeverityInfo) {
		t.Errorf("no %s note: %v", result.ProblemAddressUnchecked, ids(r))
	}
}

// runDialer is run with every connection, the check's and the leg's, made
// through d.
func (p *pki) runDialer(t *testing.T, raw string, cfg Config, d hooktest.SlowDialer) result.Result {
	t.Helper()
	cfg.Profile, _ = sender.ByName("twilio")
	cfg.Stores = func() []*truststore.Store { return []*truststore.Store{p.store} }
	cfg.At, cfg.WarnDays = testpki.Epoch, 30
	cfg.HostsFile = "/nonexistent"
	rc := runner.Config{
		Probe:       probe.Options{Timeout: 5 * time.Second, Dialer: d},
		Stores:      []*truststore.Store{p.store},
		At:          testpki.Epoch,
		WarnDays:    30,
		Concurrency: 1,
		Stage:       cfg.Stage,
	}
	return runner.Check(t.Context(), runner.Input{Raw: raw}, rc)
}
