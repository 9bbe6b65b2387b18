package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/pkg/result"
)

func TestProbeHandshakeByteCap(t *testing.T) {
	ca, err := faultserver.NewRoot("Cap Root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf(faultserver.Padding(8 << 10))
	if err != nil {
		t.Fatal(err)
	}
	s, err := faultserver.Start(faultserver.TLS(faultserver.Config(leaf), nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tg := mustParse(t, s.Addr())
	cases := []struct {
		limit   int64
		wantErr bool
	}{
		{limit: 0, wantErr: false},      // the default is far above a real handshake
		{limit: 4 << 10, wantErr: true}, // below the 8 KiB certificate
		{limit: 64 << 10, wantErr: false},
	}
	for _, c := range cases {
		obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, MaxHandshakeBytes: c.limit})
		if !c.wantErr {
			if obs.Err != nil {
				t.Errorf("limit %d: %v, want a completed handshake", c.limit, obs.Err)
			}
			continue
		}
		if obs.Err == nil || obs.Err.Code != result.CodeHandshake || !errors.Is(obs.Err, ErrHandshakeTooLarge) {
			t.Fatalf("limit %d: %+v, want 11220 wrapping ErrHandshakeTooLarge", c.limit, obs.Err)
		}
		if !strings.Contains(obs.Err.Detail, "4096 bytes") {
			t.Errorf("detail %q does not name the limit", obs.Err.Detail)
		}
	}
}

func TestProbeAlertIsNamed(t *testing.T) {
	s, err := faultserver.Start(faultserver.Alert(112))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	obs := Probe(context.Background(), mustParse(t, s.Addr()), Options{Timeout: 5 * time.Second})
	if obs.Err == nil || obs.Err.Code != result.CodeHandshake || !strings.Contains(obs.Err.Detail, "alert") || !strings.Contains(obs.Err.Detail, "unrecognized name") {
		t.Errorf("%+v, want 11220 naming the alert", obs.Err)
	}
}
