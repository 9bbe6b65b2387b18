package scan_test

import (
	"encoding/xml"

	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/scan"
	"github.com/certgate/certgate/pkg/tlswire"
)

// sslscanXML is the part of `sslscan --xml=-` the comparison reads.
type sslscanXML struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			SSLVersion string `xml:"sslversion,attr"`
			ID         string `xml:"id,attr"`
		} `xml:"cipher"`
	} `xml:"ssltest"`
}

// runSSLScan runs sslscan against addr with SNI example.test and returns
// the supported protocols and, per protocol, the accepted suites, by
// certgate's names.
func runSSLScan(t *testing.T, addr string) ([]string, map[string][]string) {
	t.Helper()
	bin := tlsservers.Need(t, "sslscan", "sslscan")
	out, err := exec.Command(bin, "--xml=-", "--no-colour", "--sni-name=example.test", addr).Output()
	if err != nil {
		t.Fatalf("sslscan %s: %v", addr, err)
	}
	// The XML follows the text report on stdout.
	i := strings.Index(string(out), "<?xml")
	if i < 0 {
		t.Fatalf("sslscan wrote no XML:\n%s", out)
	}
	var doc sslscanXML
	if err := xml.Unmarshal(out[i:], &doc); err != nil || len(doc.Tests) != 1 {
		t.Fatalf("sslscan XML: %v (%d tests)", err, len(doc.Tests))
	}
	name := func(typ, v string) string {
		if typ == "ssl" {
			return "SSL " + v + ".0"
		}
		return "TLS " + v
	}
	var protos []string
	for _, p := range doc.Tests[0].Protocols {
		if p.Enabled == "1" {
			protos = append(protos, name(p.Type, p.Version))
		}
	}
	suites := map[string][]string{}
	for _, c := range doc.Tests[0].Ciphers {
		id, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(c.ID), "0x"), 16, 16)
		if err != nil {
			t.Fatalf("sslscan cipher id %q: %v", c.ID, err)
		}
		proto := strings.Replace(c.SSLVersion, "TLSv", "TLS ", 1)
		proto = strings.Replace(proto, "SSLv", "SSL ", 1)
		if !strings.Contains(proto, ".") {
			proto += ".0"
		}
		suites[proto] = append(suites[proto], tlswire.SuiteName(uint16(id)))
	}
	return protos, suites
}

// TestSSLScanAgrees compares certgate's protocols and per-protocol suite
// enumeration with sslscan's on the same servers: the sets must be equal.
func TestSSLScanAgrees(t *testing.T) {
	tlsservers.Need(t, "sslscan", "sslscan")
	servers := []struct {
		name  string
		start func(t *testing.T) *tlsservers.Server
		// ordered names the protocol whose suites the server orders: the
		// order must match too.
		ordered string
	}{
		{"openssl every suite TLS 1.0 to 1.3", func(t *testing.T) *tlsservers.Server {
			return tlsservers.StartOpenSSL(t, "-min_protocol", "TLSv1", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0")
		}, ""},
		{"openssl TLS 1.3 two suites", func(t *testing.T) *tlsservers.Server {
			return tlsservers.StartOpenSSL(t, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
		}, ""},
		{"nginx modern", func(t *testing.T) *tlsservers.Server {
			return tlsservers.StartNginx(t, `ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-SHA256:ECDHE-RSA-AES128-SHA;
        ssl_prefer_server_ciphers on;`)
		}, "TLS 1.2"},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.start(t)
			r := scanAddr(t, srv, scan.Options{Concurrency: 4, Clients: noClients})
			wantProtos, wantSuites := runSSLScan(t, srv.Addr)
			got := protocols(r.Scan)
			slices.Sort(got)
			slices.Sort(wantProtos)
			if !slices.Equal(got, wantProtos) {
				t.Errorf("protocols: certgate %v, sslscan %v", got, wantProtos)
			}
			if p := s.ordered; p != "" && !slices.Equal(suites(r.Scan, p), wantSuites[p]) {
				t.Errorf("%s order: certgate %v, sslscan %v", p, suites(r.Scan, p), wantSuites[p])
			}
			for _, p := range wantProtos {
				g, w := suites(r.Scan, p), wantSuites[p]
				slices.Sort(g)
				slices.Sort(w)
				if !slices.Equal(g, w) {
					t.Errorf("%s suites differ:\n only certgate: %v\n only sslscan:  %v", p, minus(g, w), minus(w, g))
				}
			}
			if len(wantSuites) == 0 {
				t.Fatal("sslscan found no suites: the comparison proves nothing")
			}
		})
	}
}

// noClients skips the client simulations, which sslscan does not make.
var noClients = []*clients.Profile{}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
