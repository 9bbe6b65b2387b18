package tlswire

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"golang.org/x/crypto/cryptobyte"
)

// TestFragmentation: handshake messages split over many records and several
// messages in one record read the same.
func TestFragmentation(t *testing.T) {
	leaf := testpki.SelfSigned(t)
	flight := append(handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, 0x009c, nil)),
		handshakeMsg(typeCertificate, certificateBody(leaf.Cert.Raw))...)
	flight = append(flight, handshakeMsg(typeServerHelloDone, nil)...)
	spec := baseSpec()
	spec.MaxVersion = VersionTLS12
	for _, frag := range []int{1, 7, 100, 1 << 14} {
		addr := serveBytes(t, records(recordHandshake, flight, frag))
		f, err := exchange(t, addr, mustBuild(t, spec))
		if err != nil {
			t.Fatalf("records of %d bytes: %v", frag, err)
		}
		if !f.Done || f.ServerHello.CipherSuite != 0x009c || len(f.Certificates) != 1 ||
			!bytes.Equal(f.Certificates[0], leaf.Cert.Raw) {
			t.Errorf("records of %d bytes: flight %+v", frag, f)
		}
	}
}

// TestHostileServers: servers that lie, stall, flood or speak something
// else give a typed error, never a panic.
func TestHostileServers(t *testing.T) {
	spec12 := baseSpec()
	spec12.MaxVersion = VersionTLS12
	hello12 := mustBuild(t, spec12)
	spec13 := baseSpec()
	spec13.KeyShareGroups = []uint16{GroupX25519}
	hello13 := mustBuild(t, spec13)

	sh := func(version, suite uint16, random []byte, exts ...Extension) []byte {
		return records(recordHandshake, handshakeMsg(typeServerHello, serverHelloBody(version, suite, random, exts...)), 1<<14)
	}
	keyShare := func(g uint16, pub []byte) Extension {
		var b cryptobyte.Builder
		b.AddUint16(g)
		if pub != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(pub) })
		}
		return Extension{Type: ExtKeyShare, Data: b.BytesOrPanic()}
	}
	var unoffered *UnofferedError
	tests := []struct {
		name  string
		hello *ClientHello
		reply []byte
		check func(t *testing.T, err error)
	}{
		{"HTTP server", hello12, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), is(ErrNotTLS)},
		{"suite not offered", hello12, sh(VersionTLS12, 0x0005, nil), func(t *testing.T, err error) {
			if !errors.As(err, &unoffered) || unoffered.What != "cipher suite" || !errors.Is(err, ErrUnoffered) {
				t.Errorf("error %v, want an *UnofferedError for the cipher suite", err)
			}
		}},
		{"TLS 1.3 to a TLS 1.2 client", hello12, sh(VersionTLS12, 0x1301, nil,
			Extension{ExtSupportedVersions, u16(VersionTLS13)}, keyShare(GroupX25519, make([]byte, 32))), func(t *testing.T, err error) {
			if !errors.As(err, &unoffered) || unoffered.What != "version" {
				t.Errorf("error %v, want an *UnofferedError for the version", err)
			}
		}},
		{"key share for a group without a share", hello13, sh(VersionTLS12, 0x1301, nil,
			Extension{ExtSupportedVersions, u16(VersionTLS13)}, keyShare(GroupSecp256r1, make([]byte, 65))), func(t *testing.T, err error) {
			if !errors.As(err, &unoffered) || unoffered.What != "group" {
				t.Errorf("error %v, want an *UnofferedError for the group", err)
			}
		}},
		{"retry for a group already shared", hello13, sh(VersionTLS12, 0x1301, helloRetryRandom[:],
			Extension{ExtSupportedVersions, u16(VersionTLS13)}, keyShare(GroupX25519, nil)), func(t *testing.T, err error) {
			if !errors.As(err, &unoffered) || unoffered.What != "group" {
				t.Errorf("error %v, want an *UnofferedError for the group", err)
			}
		}},
		{"TLS 1.3 suite in a TLS 1.2 ServerHello", hello13, sh(VersionTLS12, 0x1301, nil), is(ErrMalformed)},
		{"TLS 1.2 suite in a TLS 1.3 ServerHello", hello13, sh(VersionTLS12, 0xc02f, nil,
			Extension{ExtSupportedVersions, u16(VersionTLS13)}, keyShare(GroupX25519, make([]byte, 32))), is(ErrMalformed)},
		{"truncated ServerHello", hello12, records(recordHandshake, handshakeMsg(typeServerHello, []byte{3, 3, 1}), 100), is(ErrMalformed)},
		{"certificate before ServerHello", hello12, records(recordHandshake, handshakeMsg(typeCertificate, certificateBody([]byte{1})), 100), is(ErrMalformed)},
		{"closes after the hello", hello12, nil, is(ErrClosed)},
		{"alert before anything", hello12, records(recordAlert, []byte{2, 80}, 10), func(t *testing.T, err error) {
			var ae *AlertError
			if !errors.As(err, &ae) || AlertName(ae.Description) != "internal_error" {
				t.Errorf("error %v, want the internal_error alert", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveBytes(t, tc.reply)
			_, err := exchange(t, addr, tc.hello)
			tc.check(t, err)
		})
	}
}

func is(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("error %v, want %v", err, target)
		}
	}
}

// TestTimeout: a server that never answers ends at the caller's deadline.
func TestTimeout(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	addr := testpki.ServeRaw(t, func(c net.Conn) { <-done })
	_, err := exchangeWithin(t, addr, mustBuild(t, baseSpec()), 200*time.Millisecond, 0)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("error %v, want ErrTimeout", err)
	}
}

// TestCancel: a cancelled context ends the read with context.Canceled.
func TestCancel(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	read := make(chan struct{}, 1)
	addr := testpki.ServeRaw(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 4096))
		read <- struct{}{}
		<-done
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-read; cancel() }()
	_, err = Exchange(ctx, conn, mustBuild(t, baseSpec()), 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestTooLarge: a server that sends more than the byte limit is cut off.
func TestTooLarge(t *testing.T) {
	big := records(recordHandshake, handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, 0x009c, nil)), 1<<14)
	// A Certificate message announced as 4 MiB, of which 256 KiB is sent.
	var b cryptobyte.Builder
	b.AddUint8(typeCertificate)
	b.AddUint24(4 << 20)
	b.AddBytes(make([]byte, 256<<10))
	big = append(big, records(recordHandshake, b.BytesOrPanic(), 1<<14)...)
	addr := serveBytes(t, big)
	spec := baseSpec()
	spec.MaxVersion = VersionTLS12
	f, err := exchangeWithin(t, addr, mustBuild(t, spec), 10*time.Second, 64<<10)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	if f.BytesRead > 64<<10 {
		t.Errorf("read %d bytes past the 64 KiB limit", f.BytesRead)
	}
}

// TestSSL2 detects an SSL 2.0 server and reads its certificate.
func TestSSL2(t *testing.T) {
	leaf := testpki.SelfSigned(t)
	var msg cryptobyte.Builder
	msg.AddUint8(ssl2ServerHello)
	msg.AddUint8(0)
	msg.AddUint8(1) // X.509 certificate
	msg.AddUint16(VersionSSL20)
	msg.AddUint16(uint16(len(leaf.Cert.Raw)))
	msg.AddUint16(6)
	msg.AddUint16(16)
	msg.AddBytes(leaf.Cert.Raw)
	msg.AddUint24(0x010080)
	msg.AddUint24(0x0700c0)
	msg.AddBytes(make([]byte, 16))
	body := msg.BytesOrPanic()
	var rec cryptobyte.Builder
	rec.AddUint16(0x8000 | uint16(len(body)))
	rec.AddBytes(body)

	// The server must see an SSL 2.0 CLIENT-HELLO.
	got := make(chan []byte, 1)
	addr := testpki.ServeRaw(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		got <- buf[:n]
		_, _ = c.Write(rec.BytesOrPanic())
		_, _ = c.Read(buf)
	})
	ctx, cancel := contextWithTimeout(10 * time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f, err := ExchangeSSL2(ctx, conn, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.SSL2 == nil || !bytes.Equal(f.SSL2.Certificate, leaf.Cert.Raw) || len(f.SSL2.CipherSpecs) != 2 ||
		f.SSL2.CipherSpecs[1] != 0x0700c0 {
		t.Errorf("SSL 2.0 hello %+v", f.SSL2)
	}
	ch := <-got
	// 2-byte header with the top bit set, then CLIENT-HELLO version 0x0002.
	if len(ch) < 5 || ch[0]&0x80 == 0 || ch[2] != ssl2ClientHello || ch[3] != 0 || ch[4] != 2 {
		t.Errorf("client sent % x, not an SSL 2.0 CLIENT-HELLO", ch)
	}
}
