package scan

import (
	"context"
	"errors"
	"strings"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/tlswire"
)

// simulate replays p's recorded ClientHello and says what it would
// negotiate, or why it fails: an alert, a closed connection, a selection it
// did not offer, or one of its own limits.
func (s *scanner) simulate(ctx context.Context, p *clients.Profile) result.ClientSimulation {
	sim := result.ClientSimulation{Name: displayName(p), Profile: p.Name}
	failed := func(msg string) result.ClientSimulation {
		sim.Code, sim.Message = result.CodeHandshake, msg
		return sim
	}
	h, err := p.Hello(s.t.ServerName)
	if err != nil {
		return failed("the recorded hello cannot be replayed: " + err.Error())
	}
	if len(s.t.ALPN) > 0 {
		// The client, pointed at this service, offers its protocol.
		h.Extensions = withALPN(h.Extensions, s.t.ALPN)
	}
	f, err := s.exchange(ctx, h)
	var al *tlswire.AlertError
	switch {
	case errors.Is(err, errDial):
		return failed("no connection: " + rootCause(err))
	case errors.As(err, &al):
		if al.Description == 40 || al.Description == 71 {
			return failed("no shared protocol, cipher suite or group (" + err.Error() + ")")
		}
		return failed(err.Error())
	case err != nil:
		return failed(err.Error())
	case f == nil || f.ServerHello == nil:
		return failed("the server did not answer with a TLS ServerHello")
	}
	n := clients.NegotiatedFrom(f)
	sim.Protocol = tlswire.VersionName(n.Version)
	sim.CipherSuite = tlswire.SuiteName(n.Suite)
	sim.Group = groupLabel(n.Group, n.DHBits)
	if refs := p.Refuses(n); len(refs) > 0 {
		var why []string
		for _, r := range refs {
			why = append(why, r.String())
		}
		return failed("the client refuses what the server selected: " + strings.Join(why, "; "))
	}
	sim.OK = true
	return sim
}

// displayName is a profile's name for people: "java-17" is "Java 17".
func displayName(p *clients.Profile) string {
	name, ver, _ := strings.Cut(p.Name, "-")
	known := map[string]string{"java": "Java", "openssl": "OpenSSL", "curl": "curl", "go": "Go", "gnutls": "GnuTLS",
		"python": "Python", "node": "Node.js", "chromium": "Chromium", "firefox": "Firefox"}
	if k, ok := known[name]; ok {
		name = k
	}
	return strings.TrimSpace(name + " " + ver)
}

// withALPN returns exts with the ALPN extension offering protos: the
// recorded one replaced in place, else a new one before a padding or
// pre_shared_key extension (which must stay last), else at the end.
func withALPN(exts []tlswire.Extension, protos []string) []tlswire.Extension {
	ext := tlswire.ALPNExtension(protos)
	out := make([]tlswire.Extension, 0, len(exts)+1)
	at := len(exts)
	for i, e := range exts {
		if e.Type == tlswire.ExtALPN {
			out = append(append(out, exts[:i]...), ext)
			return append(out, exts[i+1:]...)
		}
		if (e.Type == extPadding || e.Type == extPreSharedKey) && at == len(exts) {
			at = i
		}
	}
	out = append(append(out, exts[:at]...), ext)
	return append(out, exts[at:]...)
}

// Extensions that stay after an inserted ALPN extension.
const (
	extPadding      uint16 = 21
	extPreSharedKey uint16 = 41
)
