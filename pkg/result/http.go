package result

// HTTPInfo is the HTTP leg of a preflight: the request a sender would make
// after the handshake, and what came back.
type HTTPInfo struct {
	Method     string  `json:"method"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	Timings    Timings `json:"timings"`
	// Redirects are the hops followed, in order.
	Redirects []Redirect `json:"redirects"`
	Attempts  int        `json:"attempts"`
	// SNI says which server-name variants were tried ("with", "without").
	SNI []string `json:"sni"`
	// Overrides echoes the connection overrides read from the URL fragment.
	Overrides map[string]string `json:"overrides,omitempty"`
}

// Timings are the phases of one HTTP attempt in milliseconds.
type Timings struct {
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
}

// Redirect is one redirect hop.
type Redirect struct {
	Status   int    `json:"status"`
	Location string `json:"location"`
}
