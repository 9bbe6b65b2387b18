package clients

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/certgate/certgate/pkg/tlswire"
	"golang.org/x/crypto/cryptobyte"
)

// JA3 is the JA3 fingerprint string of a ClientHello: the decimal
// client_version, cipher suites, extension types, supported groups and EC
// point formats, the fields separated by commas and the values of a field by
// dashes, GREASE values left out.
func JA3(h *tlswire.ClientHello) string {
	var suites, exts, groups, formats []string
	for _, s := range h.CipherSuites {
		if !tlswire.IsGREASE(s) {
			suites = append(suites, strconv.Itoa(int(s)))
		}
	}
	for _, e := range h.Extensions {
		if !tlswire.IsGREASE(e.Type) {
			exts = append(exts, strconv.Itoa(int(e.Type)))
		}
	}
	for _, g := range h.Groups() {
		if !tlswire.IsGREASE(g) {
			groups = append(groups, strconv.Itoa(int(g)))
		}
	}
	for _, f := range pointFormats(h) {
		formats = append(formats, strconv.Itoa(int(f)))
	}
	return strings.Join([]string{
		strconv.Itoa(int(h.Version)),
		strings.Join(suites, "-"),
		strings.Join(exts, "-"),
		strings.Join(groups, "-"),
		strings.Join(formats, "-"),
	}, ",")
}

// JA3Hash is the MD5 of a JA3 string, in lower-case hex.
func JA3Hash(ja3 string) string {
	sum := md5.Sum([]byte(ja3))
	return hex.EncodeToString(sum[:])
}

// pointFormats decodes ec_point_formats; nil when absent or malformed.
func pointFormats(h *tlswire.ClientHello) []uint8 {
	data, ok := h.Extension(tlswire.ExtECPointFormats)
	if !ok {
		return nil
	}
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&list) || !s.Empty() {
		return nil
	}
	return []uint8(list)
}
