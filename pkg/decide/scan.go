package decide

import "github.com/certgate/certgate/pkg/result"

// scanWeaknesses lists the ids of the configuration weaknesses certgate
// scan finds. They are certificate-independent warnings and notes: they
// never change a store's verdict, and a warning of theirs is the detail
// only when no warning about the certificate is there.
var scanWeaknesses = map[string]bool{
	result.ProblemProtocolSSL2:          true,
	result.ProblemProtocolSSL3:          true,
	result.ProblemProtocolTLS10:         true,
	result.ProblemProtocolTLS11:         true,
	result.ProblemNoTLS13:               true,
	result.ProblemCipherRC4:             true,
	result.ProblemCipher3DES:            true,
	result.ProblemCipherExport:          true,
	result.ProblemCipherWeak:            true,
	result.ProblemCipherCBCOnly:         true,
	result.ProblemNoForwardSecrecy:      true,
	result.ProblemNoAEAD:                true,
	result.ProblemDHWeak:                true,
	result.ProblemNoSecureRenegotiation: true,
	result.ProblemInsecureRenegotiation: true,
	result.ProblemNoFallbackSCSV:        true,
	result.ProblemCompression:           true,
	result.ProblemHSTSMissing:           true,
	result.ProblemClientFails:           true,
	result.ProblemOCSPStale:             true,
	result.ProblemOCSPInvalid:           true,
	result.ProblemOCSPNotStapled:        true,
	result.ProblemMustStapleMissing:     true,
	result.ProblemCipherAnonymous:       true,
	result.ProblemKeyWeak:               true,
	result.ProblemNoTLS12:               true,
	result.ProblemHSTSNotChecked:        true,
}

// IsScanWeakness reports whether id is a weakness of the server's TLS
// configuration found by certgate scan.
func IsScanWeakness(id string) bool { return scanWeaknesses[id] }
