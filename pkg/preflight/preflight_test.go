package preflight

import (
	"context"
	"net/http"
	"slices"
	"strings"
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

// pki is a root, its store and a way to serve endpoints under it.
type pki struct {
	root  *testpki.CA
	store *truststore.Store
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	root := testpki.NewRoot(t, "Preflight Root")
	s, err := truststore.Load(testpki.WritePEM(t, "root.pem", root.Cert))
	if err != nil {
		t.Fatal(err)
	}
	return &pki{root: root, store: s}
}

// serve starts an HTTPS endpoint for the names under the test root.
func (p *pki) serve(t *testing.T, h http.Handler, names ...string) *hooktest.Server {
	t.Helper()
	return hooktest.Start(t, p.root.Leaf(t, testpki.DNS(names...)), nil, h)
}

// run preflights raw with cfg, the target's host name resolved to
// 127.0.0.1 through resolve.
func (p *pki) run(t *testing.T, raw string, cfg Config, resolve map[string]string) result.Result {
	t.Helper()
	if cfg.Profile.Name == "" {
		cfg.Profile, _ = sender.ByName("twilio")
	}
	cfg.Stores = func() []*truststore.Store { return []*truststore.Store{p.store} }
	cfg.At, cfg.WarnDays = testpki.Epoch, 30
	cfg.Resolve = resolve
	cfg.HostsFile = "/nonexistent"
	rc := runner.Config{
		Probe:       probe.Options{Timeout: 5 * time.Second, Resolve: resolve},
		Stores:      []*truststore.Store{p.store},
		At:          testpki.Epoch,
		WarnDays:    30,
		Concurrency: 1,
		Stage:       cfg.Stage,
	}
	return runner.Check(context.Background(), runner.Input{Raw: raw}, rc)
}

func ids(r result.Result) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.ID+"/"+string(p.Severity))
	}
	return out
}

func hasID(r result.Result, id string, sev result.Severity) bool {
	return slices.ContainsFunc(r.Problems, func(p result.Problem) bool { return p.ID == id && p.Severity == sev })
}

func status(code int, hdr ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
	})
}

// TestHTTPLeg runs the HTTP leg against real servers for every behaviour:
// the code and problem id each one gives.
func TestHTTPLeg(t *testing.T) {
	p := newPKI(t)
	okHandler := status(200)
	headRefused := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	// postOnly answers HEAD and GET as most POST-only handlers (Flask,
	// Express, Django) do.
	postOnly := func(code int, allow string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.WriteHeader(http.StatusOK)
				return
			}
			if allow != "" {
				w.Header().Set("Allow", allow)
			}
			w.WriteHeader(code)
		})
	}
	final := p.serve(t, okHandler, "final.test")
	plainFinal := hooktest.StartPlain(t, okHandler)
	closed := hooktest.ClosedPort(t)
	postFinal := p.serve(t, postOnly(405, "POST"), "final.test")
	badCert := hooktest.Start(t, testpki.SelfSigned(t, testpki.DNS("bad.test")), nil, okHandler)

	type tc struct {
		name    string
		h       http.Handler
		path    string
		profile string
		method  string
		status  result.Status
		code    result.Code
		id      string // a problem the result must have
		sev     result.Severity
		methods []string // the methods the endpoint must have seen
		redir   int      // redirects recorded
		detail  string   // a substring of the detail
		// httpStatus, when set, is the status http.status must record.
		httpStatus int
	}
	tests := []tc{
		{name: "2xx passes", h: okHandler, status: result.StatusWarn, id: result.ProblemPrivateAddress, sev: result.SeverityWarn, methods: []string{"HEAD"}},
		{name: "HEAD refused then GET", h: headRefused, status: result.StatusWarn, methods: []string{"HEAD", "GET"}},
		{name: "404 is 11217", h: status(404), status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError},
		{name: "500 is 11217", h: status(500), status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError},
		{name: "401 challenge without credentials is 11217", h: status(401, "WWW-Authenticate", `Basic realm="hooks"`), status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError},
		{name: "401 challenge with credentials warns", h: status(401, "WWW-Authenticate", `Basic realm="hooks"`), path: "user:pass@", status: result.StatusWarn, id: result.ProblemHTTPAuthChallenge, sev: result.SeverityWarn},
		{name: "redirect followed", h: status(302, "Location", "https://final.test:"+final.Port+"/done"), status: result.StatusWarn, redir: 1},
		{name: "redirect to http", h: status(301, "Location", "http://final.test:"+plainFinal.Port+"/"), status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectToHTTP, sev: result.SeverityError, redir: 1},
		{name: "redirect without Location", h: status(302), status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectNoLocation, sev: result.SeverityError, redir: 1},
		{name: "308 not followed by twilio", h: status(308, "Location", "https://final.test:"+final.Port+"/"), status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectNotFollowed, sev: result.SeverityError, redir: 1},
		{name: "any 3xx fails stripe", h: status(302, "Location", "https://final.test:"+final.Port+"/"), profile: "stripe", status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectNotFollowed, sev: result.SeverityError, redir: 1},
		{name: "redirect loop", h: status(302, "Location", "/"), status: result.StatusError, code: result.CodeHTTPTooManyRedirects, id: result.ProblemRedirectLoop, sev: result.SeverityError, redir: 2},
		{name: "redirect to a port without TLS", h: status(302, "Location", "https://final.test:"+plainFinal.Port+"/"), status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectTarget, sev: result.SeverityError, redir: 1, detail: "plain HTTP"},
		{name: "redirect to a port that refuses connections", h: status(302, "Location", "https://final.test:"+closed+"/"), status: result.StatusError, code: result.CodeConnFailure, id: result.ProblemHTTPConnect, sev: result.SeverityError, redir: 1, detail: "redirect 1"},
		{name: "POST-only endpoint: 405 with Allow: POST warns", h: postOnly(405, "POST"), status: result.StatusWarn, id: result.ProblemHTTPPostOnly, sev: result.SeverityWarn, methods: []string{"HEAD", "GET"}, httpStatus: 405},
		{name: "POST-only endpoint: 501 warns", h: postOnly(501, ""), status: result.StatusWarn, id: result.ProblemHTTPPostOnly, sev: result.SeverityWarn, methods: []string{"HEAD", "GET"}, httpStatus: 501},
		{name: "POST-only endpoint after a redirect warns", h: status(302, "Location", "https://final.test:"+postFinal.Port+"/post-only"), status: result.StatusWarn, id: result.ProblemHTTPPostOnly, sev: result.SeverityWarn, redir: 1, httpStatus: 405},
		{name: "405 whose Allow has no POST is 11217", h: postOnly(405, "GET, PUT"), status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, methods: []string{"HEAD", "GET"}},
		{name: "HEAD 405 then GET 403 is 11217", h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(map[bool]int{true: 405, false: 403}[r.Method == http.MethodHead])
		}), status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, methods: []string{"HEAD", "GET"}},
		{name: "405 to GET is 11217 for a sender that GETs", h: postOnly(405, "POST"), profile: "browser", status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, methods: []string{"HEAD", "GET"}},
		{name: "405 to an asked GET is 11217", h: postOnly(405, "POST"), method: "GET", status: result.StatusError, code: result.CodeHTTPErrorStatus, id: result.ProblemHTTPStatus, sev: result.SeverityError, methods: []string{"GET"}},
		{name: "redirect to a failing certificate", h: status(302, "Location", "https://bad.test:"+badCert.Port+"/"), status: result.StatusError, code: result.CodeHTTPInvalidRedirect, id: result.ProblemRedirectTarget, sev: result.SeverityError, redir: 1},
	}
	// One hop too many: slack follows 2.
	var chain http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", r.URL.Path+"/x")
		w.WriteHeader(302)
	}
	tests = append(tests, tc{name: "one hop too many for slack", h: chain, profile: "slack", status: result.StatusError, code: result.CodeHTTPTooManyRedirects, id: result.ProblemRedirectTooMany, sev: result.SeverityError, redir: 3})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := p.serve(t, tt.h, "hook.test")
			cfg := Config{AllowPrivate: true, Method: tt.method}
			if tt.profile != "" {
				cfg.Profile, _ = sender.ByName(tt.profile)
			}
			resolve := map[string]string{"hook.test:" + s.Port: "127.0.0.1", "final.test:" + final.Port: "127.0.0.1",
				"final.test:" + plainFinal.Port: "127.0.0.1", "bad.test:" + badCert.Port: "127.0.0.1",
				"final.test:" + closed: "127.0.0.1", "final.test:" + postFinal.Port: "127.0.0.1"}
			cfg.Credentials = &Credentials{}
			raw := cfg.Credentials.Strip(0, "https://"+tt.path+"hook.test:"+s.Port+"/hooks/sms")
			r := p.run(t, raw, cfg, resolve)
			if r.Status != tt.status || r.Code != tt.code {
				t.Fatalf("status %s code %d (%s), want %s %d; problems %v", r.Status, r.Code, r.Detail, tt.status, tt.code, ids(r))
			}
			if !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("detail %q does not say %q", r.Detail, tt.detail)
			}
			if tt.id != "" && !hasID(r, tt.id, tt.sev) {
				t.Errorf("no %s/%s problem: %v", tt.id, tt.sev, ids(r))
			}
			if tt.methods != nil && !slices.Equal(s.Methods(), tt.methods) {
				t.Errorf("server saw %v, want %v", s.Methods(), tt.methods)
			}
			if r.HTTP == nil {
				t.Fatal("no http field")
			}
			if len(r.HTTP.Redirects) != tt.redir {
				t.Errorf("redirects %v, want %d", r.HTTP.Redirects, tt.redir)
			}
			// No retry here: a hop, or GET after HEAD, is not one.
			if r.HTTP.Attempts != 1 {
				t.Errorf("attempts %d, want 1 (tries %d)", r.HTTP.Attempts, len(r.HTTP.Tries))
			}
			if tt.httpStatus != 0 && r.HTTP.Status != tt.httpStatus {
				t.Errorf("http status %d, want %d", r.HTTP.Status, tt.httpStatus)
			}
			if tt.id == result.ProblemHTTPPostOnly {
				msg := r.Problems[slices.IndexFunc(r.Problems, func(q result.Problem) bool { return q.ID == tt.id })].Message
				for _, want := range []string{"--method POST", "--secret-env", "https://hook.test:" + s.Port + "/hooks/sms", "not tried"} {
					if !strings.Contains(msg, want) {
						t.Errorf("the post-only warning does not say %q: %s", want, msg)
					}
				}
			}
			if slices.Contains(s.Methods(), "POST") {
				t.Errorf("a POST was sent without --method POST: %v", s.Methods())
			}
			for _, q := range r.Problems {
				if strings.Contains(q.Message, "pass") && strings.Contains(q.Message, "user:pass") {
					t.Errorf("credentials in a message: %s", q.Message)
				}
			}
		})
	}
}

// TestEndpointProfile: an endpoint's own profile replaces the run's; with
// ProfileStores its chain is judged with that profile's stores alone, so a
// chain only another profile's store trusts is sender-stores-untrusted
// (the store's code, error) and no request is made.
func TestEndpointProfile(t *testing.T) {
	p := newPKI(t)
	s := p.serve(t, status(204), "hook.test")
	raw := "https://hook.test:" + s.Port + "/"
	resolve := map[string]string{"hook.test:" + s.Port: "127.0.0.1"}
	java := truststore.New("java", "test", []*truststore.Root{{Cert: p.root.Cert}}) // the test root, in the java store alone
	stripe, _ := sender.ByName("stripe")
	for _, c := range []struct {
		name          string
		endpoint      *Endpoint
		profileStores bool
		profile       string
		wantProblem   string
		requests      int
		stores        []*truststore.Store
	}{
		{"run's profile", nil, true, "twilio", "", 1, []*truststore.Store{java}},
		{"endpoint's profile, its stores", &Endpoint{Profile: &stripe}, true, "stripe", result.ProblemSenderStores, 0, []*truststore.Store{java}},
		{"endpoint's profile, --store given", &Endpoint{Profile: &stripe}, false, "stripe", "", 1, []*truststore.Store{java}},
		// A store no profile names (--ca-file) judges for every profile.
		{"a --ca-file store", &Endpoint{Profile: &stripe}, true, "stripe", "", 1, []*truststore.Store{p.store}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(s.Requests())
			cfg := Config{AllowPrivate: true, ProfileStores: c.profileStores}
			if c.endpoint != nil {
				cfg.Endpoints = map[int]Endpoint{0: *c.endpoint}
			}
			r := p.runWith(t, raw, cfg, resolve, c.stores...)
			if r.Profile != c.profile {
				t.Errorf("profile %q, want %q", r.Profile, c.profile)
			}
			if c.wantProblem != "" && (!hasID(r, c.wantProblem, result.SeverityError) || r.Code != result.CodeNoPath) {
				t.Errorf("code %d problems %v, want %d and %s", r.Code, ids(r), result.CodeNoPath, c.wantProblem)
			}
			if c.wantProblem == "" && r.Code != result.CodeNone {
				t.Errorf("code %d problems %v, want it to pass", r.Code, ids(r))
			}
			if got := len(s.Requests()) - before; got != c.requests {
				t.Errorf("%d requests, want %d", got, c.requests)
			}
		})
	}
}

// runWith is run with stores in place of the test root's store.
func (p *pki) runWith(t *testing.T, raw string, cfg Config, resolve map[string]string, stores ...*truststore.Store) result.Result {
	t.Helper()
	if cfg.Profile.Name == "" {
		cfg.Profile, _ = sender.ByName("twilio")
	}
	cfg.Stores = func() []*truststore.Store { return stores }
	cfg.At, cfg.WarnDays = testpki.Epoch, 30
	cfg.Resolve = resolve
	cfg.HostsFile = "/nonexistent"
	rc := runner.Config{
		Probe:       probe.Options{Timeout: 5 * time.Second, Resolve: resolve},
		Stores:      stores,
		At:          testpki.Epoch,
		WarnDays:    30,
		Concurrency: 1,
		Stage:       cfg.Stage,
	}
	return runner.Check(context.Background(), runner.Input{Raw: raw}, rc)
}
