// Package truststore loads the trust stores certgate validates against: the
// embedded Mozilla and Java root sets (package roots), the operating system's
// store, and PEM or DER files given by the user. Each store carries its own
// policy (distrust-after dates, name constraints) that the validator applies
// to the chains it builds.
package truststore
