package tlswire

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// Extension is one ClientHello or ServerHello extension, as on the wire.
type Extension struct {
	// Type is the extension type, e.g. ExtServerName.
	Type uint16
	// Data is the extension_data, without its length prefix.
	Data []byte
}

// ClientHello is a ClientHello message and the record version it travels
// in. Extensions are kept raw, in wire order, so a recorded hello can be
// written back byte for byte.
type ClientHello struct {
	// RecordVersion is the version field of the record header, usually
	// VersionTLS10.
	RecordVersion uint16
	// Version is the legacy_version (client_version) field.
	Version uint16
	// Random is the 32-byte client random.
	Random []byte
	// SessionID is the legacy session id, 0 to 32 bytes.
	SessionID []byte
	// CipherSuites lists the offered suites in order.
	CipherSuites []uint16
	// CompressionMethods lists the offered compression methods; nil means
	// null compression only.
	CompressionMethods []uint8
	// Extensions in wire order.
	Extensions []Extension
	// OmitExtensions leaves out the extensions block entirely when
	// Extensions is empty, as SSL 3.0 clients do.
	OmitExtensions bool
	// KeyShares holds the private halves of the key shares this package
	// generated for the key_share extension.
	KeyShares []*KeyShare
}

// Spec describes a ClientHello for Build.
type Spec struct {
	// MinVersion and MaxVersion bound the offered versions. MaxVersion
	// defaults to TLS 1.3 and MinVersion to MaxVersion (TLS 1.2 when
	// MaxVersion is TLS 1.3). From TLS 1.3 on, the versions are offered in
	// supported_versions and the legacy version is TLS 1.2.
	MinVersion, MaxVersion uint16
	// RecordVersion of the record header; default TLS 1.0 (SSL 3.0 when
	// MaxVersion is SSL 3.0).
	RecordVersion uint16
	// ServerName is sent in server_name unless empty or an IP address.
	ServerName string
	// CipherSuites in preference order; required.
	CipherSuites []uint16
	// Groups for supported_groups.
	Groups []uint16
	// KeyShareGroups are the groups sent in key_share when TLS 1.3 is
	// offered; nil means the first group of Groups.
	KeyShareGroups []uint16
	// SignatureSchemes for signature_algorithms.
	SignatureSchemes []uint16
	// ALPN protocols, in preference order.
	ALPN []string
	// StatusRequest asks for a stapled OCSP response (status_request).
	StatusRequest bool
	// SCT asks for signed certificate timestamps.
	SCT bool
	// RenegotiationInfo sends an empty renegotiation_info extension.
	RenegotiationInfo bool
	// ExtendedMasterSecret sends extended_master_secret.
	ExtendedMasterSecret bool
	// SessionTicket sends an empty session_ticket extension.
	SessionTicket bool
	// PointFormats for ec_point_formats; nil leaves the extension out.
	PointFormats []uint8
	// PSKModes for psk_key_exchange_modes; nil leaves it out.
	PSKModes []uint8
	// Extra extensions appended raw, in order, after those above.
	Extra []Extension
}

// Build makes a ClientHello from spec with a fresh random and session id
// (32 bytes when TLS 1.3 is offered, as compatibility mode wants) and fresh
// key shares. Extensions are written in this order: server_name,
// ec_point_formats, supported_groups, session_ticket, ALPN, status_request,
// SCT, extended_master_secret, renegotiation_info, signature_algorithms,
// supported_versions, psk_key_exchange_modes, key_share, then Extra.
func Build(spec Spec) (*ClientHello, error) {
	maxV := spec.MaxVersion
	if maxV == 0 {
		maxV = VersionTLS13
	}
	minV := spec.MinVersion
	if minV == 0 {
		minV = min(maxV, VersionTLS12)
	}
	if minV > maxV || maxV > VersionTLS13 || minV < VersionSSL30 {
		return nil, fmt.Errorf("client hello: version range %s..%s is not within SSL 3.0..TLS 1.3", VersionName(minV), VersionName(maxV))
	}
	if len(spec.CipherSuites) == 0 {
		return nil, fmt.Errorf("client hello: no cipher suites: give at least one")
	}
	h := &ClientHello{
		RecordVersion: spec.RecordVersion,
		Version:       min(maxV, VersionTLS12),
		CipherSuites:  append([]uint16(nil), spec.CipherSuites...),
	}
	if h.RecordVersion == 0 {
		h.RecordVersion = max(VersionSSL30, min(maxV, VersionTLS10))
	}
	h.Random = fresh(32)
	if maxV >= VersionTLS13 {
		h.SessionID = fresh(32)
	}
	add := func(e Extension) { h.Extensions = append(h.Extensions, e) }
	if ext, ok := ServerNameExtension(spec.ServerName); ok {
		add(ext)
	}
	if spec.PointFormats != nil {
		add(u8ListExtension(ExtECPointFormats, spec.PointFormats))
	}
	if len(spec.Groups) > 0 {
		add(u16ListExtension(ExtSupportedGroups, spec.Groups))
	}
	if spec.SessionTicket {
		add(Extension{Type: ExtSessionTicket})
	}
	if len(spec.ALPN) > 0 {
		add(ALPNExtension(spec.ALPN))
	}
	if spec.StatusRequest {
		add(StatusRequestExtension())
	}
	if spec.SCT {
		add(Extension{Type: ExtSCT})
	}
	if spec.ExtendedMasterSecret {
		add(Extension{Type: ExtExtendedMasterSecret})
	}
	if spec.RenegotiationInfo {
		add(Extension{Type: ExtRenegotiationInfo, Data: []byte{0}})
	}
	if len(spec.SignatureSchemes) > 0 {
		add(u16ListExtension(ExtSignatureAlgorithms, spec.SignatureSchemes))
	}
	if maxV >= VersionTLS13 {
		var vs []uint16
		for v := maxV; v >= minV; v-- {
			vs = append(vs, v)
		}
		add(SupportedVersionsExtension(vs))
	}
	if spec.PSKModes != nil {
		add(u8ListExtension(ExtPSKKeyExchangeModes, spec.PSKModes))
	}
	if maxV >= VersionTLS13 {
		groups := spec.KeyShareGroups
		if groups == nil && len(spec.Groups) > 0 {
			groups = spec.Groups[:1]
		}
		var err error
		var ext Extension
		if ext, h.KeyShares, err = KeyShareExtension(groups); err != nil {
			return nil, err
		}
		add(ext)
	}
	h.Extensions = append(h.Extensions, spec.Extra...)
	h.OmitExtensions = len(h.Extensions) == 0
	return h, nil
}

func fresh(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

func u16ListExtension(typ uint16, vals []uint16) Extension {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vals {
			b.AddUint16(v)
		}
	})
	return Extension{Type: typ, Data: b.BytesOrPanic()}
}

func u8ListExtension(typ uint16, vals []uint8) Extension {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(vals) })
	return Extension{Type: typ, Data: b.BytesOrPanic()}
}

// ServerNameExtension is server_name with one host_name entry; ok is false
// when name is empty or an IP address, which SNI cannot carry.
func ServerNameExtension(name string) (ext Extension, ok bool) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return Extension{}, false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return Extension{}, false
	}
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(0) // host_name
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
	})
	return Extension{Type: ExtServerName, Data: b.BytesOrPanic()}, true
}

// ALPNExtension is application_layer_protocol_negotiation with protos.
func ALPNExtension(protos []string) Extension {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range protos {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	return Extension{Type: ExtALPN, Data: b.BytesOrPanic()}
}

// StatusRequestExtension asks for an OCSP staple with no responder ids and
// no request extensions.
func StatusRequestExtension() Extension {
	var b cryptobyte.Builder
	b.AddUint8(1) // ocsp
	b.AddUint16(0)
	b.AddUint16(0)
	return Extension{Type: ExtStatusRequest, Data: b.BytesOrPanic()}
}

// SupportedVersionsExtension is the ClientHello supported_versions list.
func SupportedVersionsExtension(versions []uint16) Extension {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range versions {
			b.AddUint16(v)
		}
	})
	return Extension{Type: ExtSupportedVersions, Data: b.BytesOrPanic()}
}

// KeyShareExtension generates a fresh share for each group and returns the
// key_share extension and the shares.
func KeyShareExtension(groups []uint16) (Extension, []*KeyShare, error) {
	var shares []*KeyShare
	for _, g := range groups {
		ks, err := NewKeyShare(g)
		if err != nil {
			return Extension{}, nil, err
		}
		shares = append(shares, ks)
	}
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, ks := range shares {
			b.AddUint16(ks.Group)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ks.Public) })
		}
	})
	return Extension{Type: ExtKeyShare, Data: b.BytesOrPanic()}, shares, nil
}

// Marshal encodes the hello as handshake records, split at 2^14 bytes.
func (h *ClientHello) Marshal() ([]byte, error) {
	msg, err := h.handshakeMessage()
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	s := cryptobyte.String(msg)
	for !s.Empty() {
		var frag []byte
		n := min(len(s), 1<<14)
		if !s.ReadBytes(&frag, n) {
			return nil, fmt.Errorf("client hello: cannot split into records")
		}
		b.AddUint8(recordHandshake)
		b.AddUint16(h.RecordVersion)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(frag) })
	}
	return b.Bytes()
}

func (h *ClientHello) handshakeMessage() ([]byte, error) {
	if len(h.Random) != 32 {
		return nil, fmt.Errorf("client hello: random is %d bytes, want 32", len(h.Random))
	}
	var b cryptobyte.Builder
	b.AddUint8(typeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(h.Version)
		b.AddBytes(h.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(h.SessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, cs := range h.CipherSuites {
				b.AddUint16(cs)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			if h.CompressionMethods == nil {
				b.AddUint8(0)
			}
			b.AddBytes(h.CompressionMethods)
		})
		if h.OmitExtensions && len(h.Extensions) == 0 {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range h.Extensions {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("client hello: %w", err)
	}
	return out, nil
}

// ParseClientHello decodes a ClientHello from the records that carry it, as
// a client sent them (a capture's first bytes). Trailing bytes after the
// message are an error.
func ParseClientHello(records []byte) (*ClientHello, error) {
	s := cryptobyte.String(records)
	var msg []byte
	var recVersion uint16
	for !s.Empty() {
		var typ uint8
		var ver uint16
		var frag cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16(&ver) || !s.ReadUint16LengthPrefixed(&frag) {
			return nil, malformed("client hello: truncated record")
		}
		if typ != recordHandshake {
			return nil, malformed("client hello: record type %d, want handshake (22)", typ)
		}
		if recVersion == 0 {
			recVersion = ver
		}
		msg = append(msg, frag...)
	}
	h, err := parseClientHelloMessage(msg)
	if err != nil {
		return nil, err
	}
	h.RecordVersion = recVersion
	return h, nil
}

func parseClientHelloMessage(msg []byte) (*ClientHello, error) {
	s := cryptobyte.String(msg)
	var typ uint8
	var body cryptobyte.String
	if !s.ReadUint8(&typ) || typ != typeClientHello || !s.ReadUint24LengthPrefixed(&body) || !s.Empty() {
		return nil, malformed("not a single ClientHello message")
	}
	h := &ClientHello{}
	var sid, suites, comp cryptobyte.String
	if !body.ReadUint16(&h.Version) || !body.ReadBytes(&h.Random, 32) ||
		!body.ReadUint8LengthPrefixed(&sid) || !body.ReadUint16LengthPrefixed(&suites) ||
		!body.ReadUint8LengthPrefixed(&comp) {
		return nil, malformed("client hello: truncated")
	}
	h.SessionID = append([]byte(nil), sid...)
	for !suites.Empty() {
		var cs uint16
		if !suites.ReadUint16(&cs) {
			return nil, malformed("client hello: odd cipher suite list")
		}
		h.CipherSuites = append(h.CipherSuites, cs)
	}
	h.CompressionMethods = append([]uint8{}, comp...)
	if body.Empty() {
		h.OmitExtensions = true
		return h, nil
	}
	exts, err := parseExtensions(&body)
	if err != nil {
		return nil, fmt.Errorf("client hello: %w", err)
	}
	if !body.Empty() {
		return nil, malformed("client hello: bytes after the extensions")
	}
	h.Extensions = exts
	return h, nil
}

func parseExtensions(s *cryptobyte.String) ([]Extension, error) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) {
		return nil, malformed("truncated extensions")
	}
	exts := []Extension{}
	for !list.Empty() {
		var e Extension
		var data cryptobyte.String
		if !list.ReadUint16(&e.Type) || !list.ReadUint16LengthPrefixed(&data) {
			return nil, malformed("truncated extension")
		}
		e.Data = append([]byte{}, data...)
		exts = append(exts, e)
	}
	return exts, nil
}

// Extension returns the data of the first extension of type typ.
func (h *ClientHello) Extension(typ uint16) ([]byte, bool) {
	for _, e := range h.Extensions {
		if e.Type == typ {
			return e.Data, true
		}
	}
	return nil, false
}

// Refresh returns a copy of a (recorded) hello ready to send again: a fresh
// random, a fresh session id of the recorded length, fresh key shares for the
// recorded groups (a share for a group without a generator, such as GREASE,
// is copied), and server_name set to serverName (left out when serverName is
// empty or an IP address). Every other byte is the recording's.
func (h *ClientHello) Refresh(serverName string) (*ClientHello, error) {
	n := *h
	n.Random = fresh(32)
	n.SessionID = fresh(len(h.SessionID))
	n.KeyShares = nil
	n.Extensions = make([]Extension, 0, len(h.Extensions))
	for _, e := range h.Extensions {
		switch e.Type {
		case ExtServerName:
			if ext, ok := ServerNameExtension(serverName); ok {
				n.Extensions = append(n.Extensions, ext)
			}
			continue
		case ExtKeyShare:
			ext, shares, err := refreshKeyShares(e.Data)
			if err != nil {
				return nil, err
			}
			n.KeyShares = shares
			n.Extensions = append(n.Extensions, ext)
			continue
		}
		n.Extensions = append(n.Extensions, e)
	}
	return &n, nil
}

func refreshKeyShares(data []byte) (Extension, []*KeyShare, error) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return Extension{}, nil, malformed("client hello: key_share")
	}
	var shares []*KeyShare
	var b cryptobyte.Builder
	var err error
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for !list.Empty() {
			var g uint16
			var pub cryptobyte.String
			if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed(&pub) {
				err = malformed("client hello: key_share entry")
				return
			}
			out := []byte(pub)
			if KeyShareSupported(g) {
				var ks *KeyShare
				if ks, err = NewKeyShare(g); err != nil {
					return
				}
				shares = append(shares, ks)
				out = ks.Public
			}
			b.AddUint16(g)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(out) })
		}
	})
	if err != nil {
		return Extension{}, nil, err
	}
	return Extension{Type: ExtKeyShare, Data: b.BytesOrPanic()}, shares, nil
}

// SupportedVersions lists the versions the hello offers: those of
// supported_versions when present, else the legacy version and all below it
// down to SSL 3.0.
func (h *ClientHello) SupportedVersions() []uint16 {
	if data, ok := h.Extension(ExtSupportedVersions); ok {
		s := cryptobyte.String(data)
		var list cryptobyte.String
		var vs []uint16
		if s.ReadUint8LengthPrefixed(&list) {
			for !list.Empty() {
				var v uint16
				if !list.ReadUint16(&v) {
					break
				}
				vs = append(vs, v)
			}
		}
		return vs
	}
	var vs []uint16
	for v := h.Version; v >= VersionSSL30 && v <= VersionTLS12; v-- {
		vs = append(vs, v)
	}
	return vs
}

// Groups lists the groups of supported_groups.
func (h *ClientHello) Groups() []uint16 {
	return h.u16List(ExtSupportedGroups)
}

// SignatureSchemes lists the schemes of signature_algorithms.
func (h *ClientHello) SignatureSchemes() []uint16 {
	return h.u16List(ExtSignatureAlgorithms)
}

// extensionList returns the body of extension typ with its 2-byte length
// prefix read off: the list most extensions carry.
func (h *ClientHello) extensionList(typ uint16) (cryptobyte.String, bool) {
	data, ok := h.Extension(typ)
	if !ok {
		return nil, false
	}
	s := cryptobyte.String(data)
	var list cryptobyte.String
	return list, s.ReadUint16LengthPrefixed(&list)
}

func (h *ClientHello) u16List(typ uint16) []uint16 {
	list, ok := h.extensionList(typ)
	if !ok {
		return nil
	}
	var out []uint16
	for !list.Empty() {
		var v uint16
		if !list.ReadUint16(&v) {
			break
		}
		out = append(out, v)
	}
	return out
}

// KeyShareGroups lists the groups the key_share extension carries shares for.
func (h *ClientHello) KeyShareGroups() []uint16 {
	list, ok := h.extensionList(ExtKeyShare)
	if !ok {
		return nil
	}
	var out []uint16
	for !list.Empty() {
		var g uint16
		var pub cryptobyte.String
		if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed(&pub) {
			break
		}
		out = append(out, g)
	}
	return out
}

// ALPN lists the protocols the hello offers.
func (h *ClientHello) ALPN() []string {
	list, ok := h.extensionList(ExtALPN)
	if !ok {
		return nil
	}
	var out []string
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) {
			break
		}
		out = append(out, string(p))
	}
	return out
}
