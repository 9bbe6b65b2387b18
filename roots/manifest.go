package roots

// ManifestDoc is the layout of manifest.json (schema "certgate.roots/v1"),
// written by scripts/genroots and read by package truststore. Field order is
// the output order.
type ManifestDoc struct {
	// Schema is "certgate.roots/v1".
	Schema string `json:"schema"`
	// Generator is the command that wrote the file.
	Generator string `json:"generator"`
	// Stores are the embedded stores, sorted by name.
	Stores []StoreEntry `json:"stores"`
}

// StoreEntry describes one embedded store.
type StoreEntry struct {
	// Name is the store name: "java" or "mozilla".
	Name string `json:"name"`
	// File is the PEM bundle of the store, beside manifest.json.
	File string `json:"file"`
	// Source says where the roots come from.
	Source string `json:"source"`
	// Upstream lists the real upstream addresses of the set.
	Upstream []string `json:"upstream"`
	// Version identifies the upstream snapshot.
	Version string `json:"version"`
	// Date is the snapshot date, YYYY-MM-DD, used for freshness warnings.
	Date string `json:"date"`
	// Count is the number of roots.
	Count int `json:"count"`
	// InputSHA256 maps each input file to its SHA-256.
	InputSHA256 map[string]string `json:"input_sha256"`
	// Roots lists the roots in the order of the PEM bundle.
	Roots []RootEntry `json:"roots"`
}

// RootEntry names one root and its restrictions.
type RootEntry struct {
	// Name is the store's name for the root.
	Name string `json:"name"`
	// SHA256 is the lower-case hex SHA-256 of the DER certificate.
	SHA256 string `json:"sha256"`
	// Rules are the restrictions on the root, absent for most.
	Rules []RuleEntry `json:"rules,omitempty"`
}

// RuleEntry is one server-auth restriction on a root.
type RuleEntry struct {
	// Kind is "distrust-after" or "name-constraint".
	Kind string `json:"kind"`
	// Name is the owner's name for the rule.
	Name string `json:"name"`
	// Date is the RFC 3339 cut-off of a distrust-after rule.
	Date string `json:"date,omitempty"`
	// PermittedDNS lists the DNS suffixes a name constraint permits.
	PermittedDNS []string `json:"permitted_dns,omitempty"`
	// ExceptSubCA lists sub-CA fingerprints with their own cut-off.
	ExceptSubCA []string `json:"except_subca,omitempty"`
	// ExceptDate is the RFC 3339 cut-off for chains through ExceptSubCA.
	ExceptDate string `json:"except_date,omitempty"`
}
