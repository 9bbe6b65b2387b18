package roots

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"regexp"
	"testing"
	"time"
)

// TestManifestMatchesPEM proves that manifest.json describes the embedded
// PEM files exactly: per store the count, and for every root, in order, its
// name and the SHA-256 of its DER, which also matches the "# <name>
// sha256=<hex>" line before the block.
func TestManifestMatchesPEM(t *testing.T) {
	var m struct {
		Schema string `json:"schema"`
		Stores []struct {
			Name     string   `json:"name"`
			File     string   `json:"file"`
			Version  string   `json:"version"`
			Date     string   `json:"date"`
			Count    int      `json:"count"`
			Upstream []string `json:"upstream"`
			Roots    []struct {
				Name   string `json:"name"`
				SHA256 string `json:"sha256"`
			} `json:"roots"`
		} `json:"stores"`
	}
	if err := json.Unmarshal(Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.Schema != "certgate.roots/v1" {
		t.Errorf("schema %q", m.Schema)
	}
	files := map[string][]byte{"mozilla.pem": MozillaPEM, "java.pem": JavaPEM}
	comment := regexp.MustCompile(`(?m)^# (.+) sha256=([0-9a-f]{64})\n\z`)
	seen := map[string]bool{}
	for _, s := range m.Stores {
		t.Run(s.Name, func(t *testing.T) {
			seen[s.File] = true
			data, ok := files[s.File]
			if !ok {
				t.Fatalf("manifest names file %q, which is not embedded", s.File)
			}
			if s.Version == "" || len(s.Upstream) == 0 {
				t.Errorf("version %q, upstream %v: want both", s.Version, s.Upstream)
			}
			if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
				t.Errorf("date %q: %v", s.Date, err)
			}
			if s.Count != len(s.Roots) {
				t.Errorf("count %d, %d roots listed", s.Count, len(s.Roots))
			}
			rest := data
			n := 0
			for {
				i := bytes.Index(rest, []byte("-----BEGIN "))
				if i < 0 {
					break
				}
				pre := rest[:i]
				block, after := pem.Decode(rest[i:])
				if block == nil {
					t.Fatalf("block %d does not decode", n+1)
				}
				rest = after
				if block.Type != "CERTIFICATE" {
					t.Fatalf("block %d is %s", n+1, block.Type)
				}
				if _, err := x509.ParseCertificate(block.Bytes); err != nil {
					t.Errorf("block %d: %v", n+1, err)
				}
				sum := sha256.Sum256(block.Bytes)
				got := hex.EncodeToString(sum[:])
				cm := comment.FindSubmatch(pre)
				if n >= len(s.Roots) {
					t.Fatalf("more than the %d roots of the manifest", len(s.Roots))
				}
				mr := s.Roots[n]
				if got != mr.SHA256 {
					t.Errorf("root %d %s: sha256 %s, manifest %s", n+1, mr.Name, got, mr.SHA256)
				}
				if cm == nil || string(cm[1]) != mr.Name || string(cm[2]) != got {
					t.Errorf("root %d %s: comment line %q does not name it with its sha256", n+1, mr.Name, pre)
				}
				n++
			}
			if n != s.Count {
				t.Errorf("%s has %d certificates, manifest count %d", s.File, n, s.Count)
			}
		})
	}
	for f := range files {
		if !seen[f] {
			t.Errorf("%s is not in manifest.json", f)
		}
	}
}
