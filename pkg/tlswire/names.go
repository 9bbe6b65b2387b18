package tlswire

//go:generate go run ../../scripts/geniana -in iana -out iana_tables.go

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// IsGREASE reports whether v is a GREASE value (RFC 8701): 0x?A?A with both
// bytes equal.
func IsGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

func unknown(v uint16) string {
	if IsGREASE(v) {
		return fmt.Sprintf("GREASE(%#04x)", v)
	}
	return fmt.Sprintf("%#04x", v)
}

// SuiteName is the IANA name of a cipher suite, e.g.
// "TLS_RSA_WITH_AES_128_GCM_SHA256", or its hex value when unassigned.
func SuiteName(id uint16) string {
	if n, ok := ianaCipherSuites[id]; ok {
		return n
	}
	return unknown(id)
}

// RegisteredSuites lists the cipher suite values the IANA registry names,
// ascending: what SuiteName knows without falling back to hex.
func RegisteredSuites() []uint16 {
	return slices.Sorted(maps.Keys(ianaCipherSuites))
}

// GroupName is the IANA name of a supported group, e.g. "x25519", or its
// hex value when unassigned.
func GroupName(id uint16) string {
	if n, ok := ianaGroups[id]; ok {
		return n
	}
	return unknown(id)
}

// SignatureSchemeName is the IANA name of a signature scheme, e.g.
// "ecdsa_secp256r1_sha256", or its hex value when unassigned.
func SignatureSchemeName(id uint16) string {
	if n, ok := ianaSignatureSchemes[id]; ok {
		return n
	}
	return unknown(id)
}

// SuiteByName returns the value of the cipher suite with the IANA name.
func SuiteByName(name string) (uint16, bool) {
	for id, n := range ianaCipherSuites {
		if n == name {
			return id, true
		}
	}
	return 0, false
}

// GroupByName returns the value of the group with the IANA name.
func GroupByName(name string) (uint16, bool) {
	for id, n := range ianaGroups {
		if n == name {
			return id, true
		}
	}
	return 0, false
}

// SuiteKeyExchange is the key exchange of a cipher suite, from its IANA
// name.
func SuiteKeyExchange(id uint16) KeyExchange {
	n, ok := ianaCipherSuites[id]
	if !ok {
		return KeyExchangeOther
	}
	switch {
	case id>>8 == 0x13:
		return KeyExchangeTLS13
	case strings.HasPrefix(n, "TLS_ECDHE_") && !strings.HasPrefix(n, "TLS_ECDHE_PSK_"),
		strings.HasPrefix(n, "TLS_ECDH_anon_"):
		return KeyExchangeECDHE
	case strings.HasPrefix(n, "TLS_DHE_") && !strings.HasPrefix(n, "TLS_DHE_PSK_"),
		strings.HasPrefix(n, "TLS_DH_anon_"):
		return KeyExchangeDHE
	case strings.HasPrefix(n, "TLS_RSA_") && !strings.HasPrefix(n, "TLS_RSA_PSK_"):
		return KeyExchangeRSA
	}
	return KeyExchangeOther
}

// VersionName names a protocol version: "SSL 2.0", "SSL 3.0", "TLS 1.0" to
// "TLS 1.3", else its hex value.
func VersionName(v uint16) string {
	switch v {
	case VersionSSL20:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	return unknown(v)
}

// alertNames are the alert descriptions of RFC 8446 section 6 and of the
// older TLS and SSL 3.0 specifications.
var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
	40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error",
	60: "export_restriction", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
	111: "certificate_unobtainable", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol", 121: "ech_required",
}

// AlertName names an alert description, e.g. "handshake_failure", or gives
// its number.
func AlertName(desc uint8) string {
	if n, ok := alertNames[desc]; ok {
		return n
	}
	return fmt.Sprintf("alert_%d", desc)
}

var extensionNames = map[uint16]string{
	ExtServerName: "server_name", ExtStatusRequest: "status_request",
	ExtSupportedGroups: "supported_groups", ExtECPointFormats: "ec_point_formats",
	ExtSignatureAlgorithms: "signature_algorithms", ExtALPN: "application_layer_protocol_negotiation",
	ExtSCT: "signed_certificate_timestamp", ExtPadding: "padding",
	ExtEncryptThenMAC: "encrypt_then_mac", ExtExtendedMasterSecret: "extended_master_secret",
	ExtSessionTicket: "session_ticket", ExtPreSharedKey: "pre_shared_key",
	ExtEarlyData: "early_data", ExtSupportedVersions: "supported_versions",
	ExtCookie: "cookie", ExtPSKKeyExchangeModes: "psk_key_exchange_modes",
	ExtSignatureAlgorithmsCert: "signature_algorithms_cert", ExtKeyShare: "key_share",
	ExtRenegotiationInfo: "renegotiation_info",
}

// ExtensionName names the extension types this package knows, else gives
// the hex value.
func ExtensionName(typ uint16) string {
	if n, ok := extensionNames[typ]; ok {
		return n
	}
	return unknown(typ)
}
