// Package clients holds recorded TLS client profiles: the first ClientHello
// of real clients (Java, OpenSSL, curl, Go, GnuTLS, Python, Node.js,
// Chromium, ...), captured on loopback by scripts/captureclients and embedded
// in the binary, together with each client's documented limits.
//
// A profile replays its recording with a fresh random, session id, key shares
// and server name (Profile.Hello), names its JA3 fingerprint, and says whether
// the client would refuse what a server negotiated (Profile.Refuses).
package clients

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/certgate/certgate/pkg/tlswire"
)

// Profile is one recorded client. Profiles come from All, ByName or Parse,
// which parse the recording; Hello and Refuses need it parsed.
type Profile struct {
	// Name identifies the profile, e.g. "java-17" or "openssl-3".
	Name string `json:"name"`
	// Client is the client's own version string, e.g. the first line of
	// `java -version` or `openssl version`.
	Client string `json:"client"`
	// Captured is the capture date, YYYY-MM-DD (UTC).
	Captured string `json:"captured"`
	// Command is how the client was run for the capture.
	Command string `json:"command"`
	// SNI is the server name the client sent in the recording, "" when none.
	SNI string `json:"sni"`
	// Notes says anything particular about the recording.
	Notes string `json:"notes,omitempty"`
	// HelloHex is the recorded ClientHello: the whole handshake record(s) as
	// the client sent them, in hex.
	HelloHex string `json:"hello_hex"`
	// Decoded are the fields of HelloHex, decoded by Decode.
	Decoded Decoded `json:"decoded"`
	// Limits are the client's documented limits; nil when none are
	// documented or recorded.
	Limits *Limits `json:"limits,omitempty"`

	hello *tlswire.ClientHello
}

// Decoded are the fields of a recorded ClientHello, by IANA name.
type Decoded struct {
	// RecordVersion and LegacyVersion are the record header and
	// client_version fields.
	RecordVersion string `json:"record_version"`
	LegacyVersion string `json:"legacy_version"`
	// Versions lists the offered protocol versions, GREASE left out.
	Versions []string `json:"versions"`
	// CipherSuites lists the offered suites in order.
	CipherSuites []string `json:"cipher_suites"`
	// Groups lists supported_groups in order.
	Groups []string `json:"groups"`
	// KeyShares lists the groups the client sent key shares for.
	KeyShares []string `json:"key_shares,omitempty"`
	// SignatureAlgorithms lists signature_algorithms in order.
	SignatureAlgorithms []string `json:"signature_algorithms"`
	// ALPN lists the offered application protocols.
	ALPN []string `json:"alpn,omitempty"`
	// Extensions lists the extension types in wire order.
	Extensions []string `json:"extensions"`
	// PointFormats lists ec_point_formats.
	PointFormats []uint8 `json:"point_formats,omitempty"`
	// JA3 is the JA3 string of the hello; JA3Hash its MD5 in hex.
	JA3     string `json:"ja3"`
	JA3Hash string `json:"ja3_hash"`
}

// Decode parses recorded ClientHello records and names their fields.
func Decode(records []byte) (Decoded, error) {
	h, err := tlswire.ParseClientHello(records)
	if err != nil {
		return Decoded{}, err
	}
	return decodeHello(h), nil
}

func decodeHello(h *tlswire.ClientHello) Decoded {
	d := Decoded{
		RecordVersion: tlswire.VersionName(h.RecordVersion),
		LegacyVersion: tlswire.VersionName(h.Version),
		Versions:      []string{},
		CipherSuites:  []string{},
		Groups:        []string{},
		Extensions:    []string{},
		ALPN:          h.ALPN(),
		PointFormats:  pointFormats(h),
	}
	for _, v := range h.SupportedVersions() {
		if !tlswire.IsGREASE(v) {
			d.Versions = append(d.Versions, tlswire.VersionName(v))
		}
	}
	for _, s := range h.CipherSuites {
		d.CipherSuites = append(d.CipherSuites, greaseOr(s, tlswire.SuiteName))
	}
	for _, g := range h.Groups() {
		d.Groups = append(d.Groups, greaseOr(g, tlswire.GroupName))
	}
	for _, g := range h.KeyShareGroups() {
		d.KeyShares = append(d.KeyShares, greaseOr(g, tlswire.GroupName))
	}
	d.SignatureAlgorithms = []string{}
	for _, s := range h.SignatureSchemes() {
		d.SignatureAlgorithms = append(d.SignatureAlgorithms, greaseOr(s, tlswire.SignatureSchemeName))
	}
	for _, e := range h.Extensions {
		d.Extensions = append(d.Extensions, greaseOr(e.Type, tlswire.ExtensionName))
	}
	d.JA3 = JA3(h)
	d.JA3Hash = JA3Hash(d.JA3)
	return d
}

func greaseOr(v uint16, name func(uint16) string) string {
	if tlswire.IsGREASE(v) {
		return fmt.Sprintf("GREASE(0x%04x)", v)
	}
	return name(v)
}

// Hello returns the recording ready to send to a server: a fresh random,
// session id and key shares and serverName as SNI (none when serverName is
// empty or an IP address); every other byte is the recording's.
func (p *Profile) Hello(serverName string) (*tlswire.ClientHello, error) {
	if p.hello == nil {
		return nil, ErrNotParsed
	}
	return p.hello.Refresh(serverName)
}

// Recorded returns the recorded ClientHello records.
func (p *Profile) Recorded() []byte {
	b, _ := hex.DecodeString(p.HelloHex) // checked by load
	return b
}

// Offers reports whether the recorded hello offers the cipher suite.
func (p *Profile) Offers(suite uint16) bool {
	if p.hello == nil {
		return false
	}
	for _, s := range p.hello.CipherSuites {
		if s == suite {
			return true
		}
	}
	return false
}

// ErrNotParsed is returned by Hello for a Profile not made by Parse, All or
// ByName.
var ErrNotParsed = errors.New("the profile's recording is not parsed (load profiles with clients.Parse, All or ByName)")

//go:embed profiles
var profileFS embed.FS

var (
	loadOnce sync.Once
	loaded   []*Profile
	loadErr  error
)

// All returns the embedded profiles, sorted by name.
func All() ([]*Profile, error) {
	loadOnce.Do(func() { loaded, loadErr = load(profileFS, "profiles") })
	return loaded, loadErr
}

// ByName returns the embedded profile called name.
func ByName(name string) (*Profile, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range all {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return nil, &UnknownError{Name: name, Known: names}
}

// UnknownError is returned by ByName for a name no profile has.
type UnknownError struct {
	// Name is the name asked for; Known lists the profile names.
	Name  string
	Known []string
}

// Error names the unknown profile and the known ones.
func (e *UnknownError) Error() string {
	return fmt.Sprintf("no recorded client %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// Parse reads one profile from its JSON form and parses its recording.
func Parse(data []byte) (*Profile, error) {
	p := new(Profile)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(p.HelloHex)
	if err != nil {
		return nil, fmt.Errorf("profile %q: hello_hex: %w", p.Name, err)
	}
	if p.hello, err = tlswire.ParseClientHello(raw); err != nil {
		return nil, fmt.Errorf("profile %q: recorded hello: %w", p.Name, err)
	}
	return p, nil
}

func load(fsys fs.FS, dir string) ([]*Profile, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []*Profile
	for _, e := range entries {
		if path.Ext(e.Name()) != ".json" {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		p, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
