package scan

import (
	"context"
	"crypto/tls"
	"slices"

	"github.com/certgate/certgate/pkg/tlswire"
)

// alpnProtocols are the application protocols probed, in the order
// offered: the IANA "TLS Application-Layer Protocol Negotiation (ALPN)
// Protocol IDs" registry without those that never run over TLS on TCP
// (h2c is cleartext; h3 and doq are QUIC's), plus spdy/3.1, which servers
// of the SPDY era announce though it was never registered.
var alpnProtocols = []string{
	"h2", "http/1.1", "http/1.0", "http/0.9",
	"spdy/3.1", "spdy/3", "spdy/2", "spdy/1",
	"acme-tls/1", "postgresql", "tds/8.0", "imap", "pop3", "managesieve", "ftp", "smb", "sunrpc",
	"xmpp-client", "xmpp-server", "irc", "nntp", "nnsp", "sip/2", "mqtt", "coap", "dot", "ntske/1",
	"stun.turn", "stun.nat-discovery", "webrtc", "c-webrtc", "dicom", "radius/1.0", "radius/1.1",
}

// alpnOffer is the list the ALPN probe starts from: the target's own
// protocols first, then the rest of alpnProtocols.
func (s *scanner) alpnOffer() []string {
	out := slices.Clone(s.t.ALPN)
	for _, p := range alpnProtocols {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// alpn lists the application protocols the server selects, the way
// suites are enumerated: every protocol is offered, the one the server
// selects is taken out, and the rest offered again until it selects none.
// The list is in the order the server selected them (its preference,
// when it has one); k protocols cost k+1 connections. At TLS 1.2 and
// older the ServerHello says; a server of TLS 1.3 only encrypts its
// choice, so complete crypto/tls handshakes read it.
func (s *scanner) alpn(ctx context.Context, supported map[uint16]bool, highest12 uint16, perClass [][][]uint16, all []uint16) []string {
	out := []string{}
	if highest12 == 0 && !supported[tlswire.VersionTLS13] {
		return out
	}
	left := s.alpnOffer()
	for len(left) > 0 && ctx.Err() == nil {
		var got string
		if highest12 == 0 {
			got = s.alpnChosen13(ctx, left)
		} else {
			spec := s.helloSpec(highest12, flatten(perClass[slices.Index(all, highest12)]))
			spec.ALPN = left
			h, err := tlswire.Build(spec)
			if err != nil {
				break
			}
			if f, err := s.exchange(ctx, h); err == nil && f.ServerHello != nil {
				got = f.ServerHello.ALPN // one not offered is an error: exchange reported the lie
			}
		}
		i := slices.Index(left, got)
		if got == "" || i < 0 {
			break
		}
		out = append(out, got)
		left = slices.Delete(left, i, i+1)
	}
	return out
}

// alpnChosen13 is the protocol a TLS 1.3 server selects from protos, ""
// when none.
func (s *scanner) alpnChosen13(ctx context.Context, protos []string) string {
	got := ""
	s.handshake(ctx, &tls.Config{ServerName: s.t.ServerName, InsecureSkipVerify: true, // scan facts only
		MinVersion: tls.VersionTLS13, NextProtos: slices.Clone(protos)}, func(conn *tls.Conn) {
		got = conn.ConnectionState().NegotiatedProtocol
	})
	return got
}
