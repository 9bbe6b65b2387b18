package tlswire

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"golang.org/x/crypto/cryptobyte"
)

var (
	suites13    = []uint16{0x1301, 0x1302, 0x1303}
	suitesECDHE = []uint16{0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014}
	suitesRSA   = []uint16{0x009c, 0x009d, 0x002f, 0x0035}
	suitesDHE   = []uint16{0x009e, 0x009f, 0x0033, 0x0039}
	sigSchemes  = []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201, 0x0203}
	allGroups   = []uint16{GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}
)

func concat(lists ...[]uint16) []uint16 {
	var out []uint16
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// baseSpec offers everything the test servers might pick, TLS 1.0 to 1.3.
func baseSpec() Spec {
	return Spec{
		MinVersion:       VersionTLS10,
		MaxVersion:       VersionTLS13,
		ServerName:       "example.test",
		CipherSuites:     concat(suites13, suitesECDHE, suitesDHE, suitesRSA),
		Groups:           allGroups,
		SignatureSchemes: sigSchemes,
		PointFormats:     []uint8{0},
		PSKModes:         []uint8{1},
	}
}

func mustBuild(t *testing.T, spec Spec) *ClientHello {
	t.Helper()
	h, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// exchange dials addr and runs Exchange with a 10 s deadline.
func exchange(t *testing.T, addr string, h *ClientHello) (*Flight, error) {
	t.Helper()
	return exchangeWithin(t, addr, h, 10*time.Second, 0)
}

func exchangeWithin(t *testing.T, addr string, h *ClientHello, d time.Duration, maxBytes int64) (*Flight, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return Exchange(ctx, conn, h, maxBytes)
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// rsaLeaf is an RSA-2048 server certificate for example.test issued by ca
// (the key is made once per test binary).
func rsaLeaf(t *testing.T, ca *testpki.CA) *x509.Certificate {
	t.Helper()
	rsaKeyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "example.test"},
		DNSNames:     []string{"example.test"},
		NotBefore:    testpki.Epoch.AddDate(0, 0, -30),
		NotAfter:     testpki.Epoch.AddDate(0, 0, 60),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &rsaKey.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rsaTLSCert(leaf *x509.Certificate, chain ...*x509.Certificate) tls.Certificate {
	tc := tls.Certificate{PrivateKey: rsaKey, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc
}

// handshakeMsg frames a handshake message.
func handshakeMsg(typ uint8, body []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(typ)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// records splits payload into records of at most frag bytes.
func records(typ uint8, payload []byte, frag int) []byte {
	var b cryptobyte.Builder
	s := cryptobyte.String(payload)
	for !s.Empty() {
		var chunk []byte
		s.ReadBytes(&chunk, min(frag, len(s)))
		b.AddUint8(typ)
		b.AddUint16(VersionTLS12)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(chunk) })
	}
	return b.BytesOrPanic()
}

// serverHelloBody encodes a ServerHello body as a test server would send it.
func serverHelloBody(version, suite uint16, random []byte, exts ...Extension) []byte {
	if random == nil {
		random = make([]byte, 32)
	}
	var b cryptobyte.Builder
	b.AddUint16(version)
	b.AddBytes(random)
	b.AddUint8(0) // empty session id
	b.AddUint16(suite)
	b.AddUint8(0)
	if exts != nil {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	}
	return b.BytesOrPanic()
}

func certificateBody(ders ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, d := range ders {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(d) })
		}
	})
	return b.BytesOrPanic()
}

func u16(v uint16) []byte {
	var b cryptobyte.Builder
	b.AddUint16(v)
	return b.BytesOrPanic()
}

// serveBytes starts a loopback server that reads the client's first bytes
// and answers with reply (closes the connection when reply is nil).
func serveBytes(t *testing.T, reply []byte) string {
	t.Helper()
	return testpki.ServeRaw(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		if reply == nil {
			return
		}
		_, _ = c.Write(reply)
		_, _ = c.Read(buf) // wait for the client to hang up
	})
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
