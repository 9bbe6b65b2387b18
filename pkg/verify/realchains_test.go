package verify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// sharedDir finds the shared test data beside the repository (or in
// $CERTGATE_SHARED); tests that need it skip when it is absent, or fail
// under CERTGATE_REQUIRE_SHARED.
func sharedDir(t *testing.T) string {
	t.Helper()
	return filepath.Dir(shareddata.Dir(t, "conformance"))
}

type chainMeta struct {
	Host           string    `json:"host"`
	ValidAt        time.Time `json:"valid_at"`
	ExpiredAt      time.Time `json:"expired_at"`
	IssuerRootName string    `json:"issuer_root_name"`
	IssuerRootSHA  string    `json:"issuer_root_sha256"`
}

func TestRealChains(t *testing.T) {
	base := filepath.Join(sharedDir(t), "conformance", "realchains")
	mozilla, err := truststore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	java, err := truststore.Load("java")
	if err != nil {
		t.Fatal(err)
	}
	stores := []*truststore.Store{mozilla, java}
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			var m chainMeta
			raw, err := os.ReadFile(filepath.Join(base, name, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			pemData, err := os.ReadFile(filepath.Join(base, name, "chain.pem"))
			if err != nil {
				t.Fatal(err)
			}
			certs, err := truststore.ParseCertificates(pemData)
			if err != nil {
				t.Fatal(err)
			}

			out := Check(certs, stores, Options{At: m.ValidAt, Host: m.Host})
			r := out.Result()
			if r.Status != result.StatusOK {
				t.Errorf("at valid_at %s: %s %d %s", m.ValidAt.Format(time.RFC3339), r.Status, r.Code, r.Detail)
			}
			trustedBy := map[string]bool{}
			for s, v := range r.Trust {
				if v.Trusted {
					trustedBy[s] = true
					if v.RootSHA256 != m.IssuerRootSHA {
						t.Errorf("%s: root %s (%s), want %s (%s)", s, v.Root, v.RootSHA256, m.IssuerRootName, m.IssuerRootSHA)
					}
				}
			}
			if name == "tm.cn-2019" && (trustedBy["mozilla"] || !trustedBy["java"]) {
				t.Errorf("tm.cn-2019: trusted by %v, want java only (DigiCert Global Root CA has left Mozilla's store)", trustedBy)
			}

			out = Check(certs, stores, Options{At: m.ExpiredAt, Host: m.Host})
			r = out.Result()
			if r.Status != result.StatusFail || r.Code != result.CodeExpired {
				t.Errorf("at expired_at %s: %s %d %s, want fail 11236", m.ExpiredAt.Format(time.RFC3339), r.Status, r.Code, r.Detail)
			}
		})
	}
	if n != 14 {
		t.Errorf("found %d real chains, want 14", n)
	}
}
