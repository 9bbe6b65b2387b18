package clients

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/tlswire"
)

func allProfiles(t *testing.T) []*Profile {
	t.Helper()
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no embedded profiles")
	}
	return all
}

// TestRecordingsDecode checks that every embedded recording parses, writes
// back byte for byte, and that its stored decoded fields are what Decode
// makes of its hex (so a hand-edited field or a stale decoder shows).
func TestRecordingsDecode(t *testing.T) {
	for _, p := range allProfiles(t) {
		t.Run(p.Name, func(t *testing.T) {
			raw := p.Recorded()
			h, err := tlswire.ParseClientHello(raw)
			if err != nil {
				t.Fatal(err)
			}
			again, err := h.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("recording does not marshal back byte for byte")
			}
			d, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, p.Decoded) {
				t.Errorf("stored decoded fields differ from Decode:\n got %+v\nwant %+v", p.Decoded, d)
			}
			if p.Client == "" || p.Captured == "" || len(p.Decoded.CipherSuites) == 0 || len(p.Decoded.Versions) == 0 {
				t.Errorf("profile lacks client, date, suites or versions: %+v", p)
			}
			if sni, _ := serverName(h); sni != p.SNI {
				t.Errorf("recorded SNI %q, profile says %q", sni, p.SNI)
			}
		})
	}
}

// serverName reads the host name of the server_name extension.
func serverName(h *tlswire.ClientHello) (string, bool) {
	data, ok := h.Extension(tlswire.ExtServerName)
	if !ok || len(data) < 5 {
		return "", false
	}
	return string(data[5:]), true
}

// TestReplayGolden replays each recording and checks that only the random,
// the session id, the key shares and the server name differ from the
// recording, byte for byte, and that the replay's JA3 is the recording's.
func TestReplayGolden(t *testing.T) {
	for _, p := range allProfiles(t) {
		for _, name := range []string{p.SNI, "other-host.example"} {
			t.Run(p.Name+"/"+name, func(t *testing.T) {
				replay, err := p.Hello(name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := replay.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				rec, err := tlswire.ParseClientHello(p.Recorded())
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(replay.Random, rec.Random) {
					t.Error("random not fresh")
				}
				if len(rec.SessionID) > 0 && bytes.Equal(replay.SessionID, rec.SessionID) {
					t.Error("session id not fresh")
				}
				if len(replay.SessionID) != len(rec.SessionID) {
					t.Errorf("session id of %d bytes, recorded %d", len(replay.SessionID), len(rec.SessionID))
				}
				recShares, _ := rec.Extension(tlswire.ExtKeyShare)
				newShares, _ := replay.Extension(tlswire.ExtKeyShare)
				if len(recShares) > 0 && bytes.Equal(recShares, newShares) {
					t.Error("key shares not fresh")
				}
				if sni, _ := serverName(replay); sni != name {
					t.Errorf("replay SNI %q, want %q", sni, name)
				}

				// The recording with the fresh fields patched in must be the
				// replay, byte for byte.
				want := *rec
				want.Random, want.SessionID = replay.Random, replay.SessionID
				want.Extensions = append([]tlswire.Extension(nil), rec.Extensions...)
				for i, e := range want.Extensions {
					if e.Type == tlswire.ExtKeyShare || e.Type == tlswire.ExtServerName {
						want.Extensions[i].Data, _ = replay.Extension(e.Type)
					}
				}
				wantBytes, err := want.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, wantBytes) {
					t.Errorf("replay differs from the recording outside random, session id, key shares and SNI:\n got %x\nwant %x", got, wantBytes)
				}
				if name == p.SNI && len(got) != len(p.Recorded()) {
					t.Errorf("replay is %d bytes, recording %d", len(got), len(p.Recorded()))
				}
				if ja3 := JA3(replay); ja3 != p.Decoded.JA3 || JA3Hash(ja3) != p.Decoded.JA3Hash {
					t.Errorf("replay JA3 %s (%s), recording %s (%s)", ja3, JA3Hash(ja3), p.Decoded.JA3, p.Decoded.JA3Hash)
				}
			})
		}
	}
}

// TestJA3 checks the JA3 string and hash of hellos built field by field,
// GREASE values included.
func TestJA3(t *testing.T) {
	grease := tlswire.Extension{Type: 0x2a2a}
	tests := []struct {
		name string
		spec tlswire.Spec
		want string
	}{
		{
			name: "TLS 1.2 with point formats",
			spec: tlswire.Spec{MinVersion: tlswire.VersionTLS10, MaxVersion: tlswire.VersionTLS12,
				CipherSuites: []uint16{0xc02f, 0x009c}, Groups: []uint16{29, 23},
				SignatureSchemes: []uint16{0x0403}, PointFormats: []uint8{0}},
			// ec_point_formats, supported_groups, signature_algorithms
			want: "771,49199-156,11-10-13,29-23,0",
		},
		{
			name: "TLS 1.3 with GREASE everywhere",
			spec: tlswire.Spec{ServerName: "a.test", CipherSuites: []uint16{0x0a0a, 0x1301},
				Groups: []uint16{0x1a1a, 29}, KeyShareGroups: []uint16{29}, SignatureSchemes: []uint16{0x0804},
				Extra: []tlswire.Extension{grease}},
			// server_name, supported_groups, signature_algorithms,
			// supported_versions, key_share; the GREASE extension is left out
			want: "771,4865,0-10-13-43-51,29,",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tlswire.Build(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := JA3(h); got != tc.want {
				t.Errorf("JA3 %q, want %q", got, tc.want)
			}
		})
	}
	// The MD5 of the empty string is a fixed, public value.
	if got := JA3Hash(""); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("JA3Hash(\"\") = %s", got)
	}
}

// TestReplayGoServer sends each replayed recording to real crypto/tls
// servers on loopback, one with Go's defaults and one capped at TLS 1.2, and
// checks that each negotiates with it and that the client would accept what
// was negotiated.
func TestReplayGoServer(t *testing.T) {
	ca := testpki.NewRoot(t, "clients test root")
	cert := ca.Leaf(t, testpki.DNS("client.test")).TLSCert(ca.Cert)
	servers := []struct {
		name    string
		cfg     *tls.Config
		version uint16
	}{
		{"TLS 1.3", &tls.Config{Certificates: []tls.Certificate{cert}}, tlswire.VersionTLS13},
		{"TLS 1.2", &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}, tlswire.VersionTLS12},
	}
	for _, srv := range servers {
		addr := testpki.Serve(t, srv.cfg)
		for _, p := range allProfiles(t) {
			t.Run(srv.name+"/"+p.Name, func(t *testing.T) {
				h, err := p.Hello("client.test")
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				f, err := tlswire.Exchange(ctx, conn, h, 0)
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				sh := f.ServerHello
				if sh == nil || sh.HelloRetryRequest || !f.Done {
					t.Fatalf("no complete first flight (or a HelloRetryRequest): %+v", f)
				}
				if sh.Version != srv.version {
					t.Errorf("negotiated %s, want %s", tlswire.VersionName(sh.Version), tlswire.VersionName(srv.version))
				}
				n := Negotiated{Version: sh.Version, Suite: sh.CipherSuite, Group: sh.KeyShareGroup, ChainLength: len(f.Certificates)}
				if f.KeyExchange != nil {
					n.Group, n.DHBits = f.KeyExchange.Group, f.KeyExchange.DHBits
				}
				if r := p.Refuses(n); len(r) > 0 {
					t.Errorf("the client would refuse what a Go server negotiates: %v", r)
				}
			})
		}
	}
}

func TestByName(t *testing.T) {
	all := allProfiles(t)
	p, err := ByName(all[0].Name)
	if err != nil || p != all[0] {
		t.Fatalf("ByName(%q) = %v, %v", all[0].Name, p, err)
	}
	_, err = ByName("no-such-client")
	var unknown *UnknownError
	if !errors.As(err, &unknown) || unknown.Name != "no-such-client" || len(unknown.Known) != len(all) {
		t.Errorf("ByName(no-such-client) error %v, want an *UnknownError listing %d profiles", err, len(all))
	}
}

func TestParseRejects(t *testing.T) {
	for name, data := range map[string]string{
		"not json":      "{",
		"bad hex":       `{"name": "x", "hello_hex": "zz"}`,
		"not a hello":   `{"name": "x", "hello_hex": "` + hex.EncodeToString([]byte("GET / HTTP/1.1\r\n")) + `"}`,
		"empty records": `{"name": "x", "hello_hex": ""}`,
	} {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

// TestUnparsedProfile checks that a Profile built by hand (not by Parse)
// reports ErrNotParsed instead of panicking, and is judged by its limits.
func TestUnparsedProfile(t *testing.T) {
	p := &Profile{Name: "by hand", Limits: &Limits{Policy: PolicyOpenSSL, MinDHBits: 2048}}
	if _, err := p.Hello("a.test"); !errors.Is(err, ErrNotParsed) {
		t.Errorf("Hello error %v, want ErrNotParsed", err)
	}
	if p.Offers(0x1301) {
		t.Error("Offers is true without a recording")
	}
	dhe, _ := tlswire.SuiteByName("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
	if r := p.Refuses(Negotiated{Version: tlswire.VersionTLS12, Suite: dhe, DHBits: 1024}); len(r) != 1 || r[0].Rule != PolicyOpenSSL {
		t.Errorf("refusals %v, want one by %s", r, PolicyOpenSSL)
	}
}
