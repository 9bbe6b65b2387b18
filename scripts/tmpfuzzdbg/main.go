package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand"
	"os"
	"time"

	"github.com/certgate/certgate/pkg/bundle"
)

func main() {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	seeds := [][]byte{der, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	for i := 0; i < 2000000; i++ {
		s := append([]byte{}, seeds[mrand.Intn(len(seeds))]...)
		for j := 0; j < 1+mrand.Intn(4); j++ {
			if len(s) == 0 {
				break
			}
			p := mrand.Intn(len(s))
			switch mrand.Intn(3) {
			case 0:
				s[p] = byte(mrand.Intn(256))
			case 1:
				s = s[:p]
			case 2:
				s[p] ^= 1 << mrand.Intn(8)
			}
		}
		done := make(chan struct{})
		go func() { bundle.Parse("x", s); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			os.WriteFile("/tmp/hang.bin", s, 0o644)
			fmt.Println("HANG", len(s))
			return
		}
	}
	fmt.Println("no hang")
}
