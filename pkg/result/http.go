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
	// Tries are the timings of every attempt made, in order, hops and
	// retries alike; Timings is the last of them.
	Tries []Timings `json:"tries,omitempty"`
	// SNI says which server-name variants were tried ("with", "without").
	SNI []string `json:"sni"`
	// Overrides echoes the connection overrides read from the URL fragment.
	Overrides map[string]string `json:"overrides,omitempty"`
	// Budgets are the profile's limits the leg ran under, overrides
	// applied (http_budgets.go).
	Budgets *Budgets `json:"budgets,omitempty"`
}

// Timings are the phases of one HTTP attempt in milliseconds.
type Timings struct {
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
	// TotalMS is the whole attempt, until the response headers (or the
	// failure).
	TotalMS float64 `json:"total_ms,omitempty"`
}

// Redirect is one redirect hop.
type Redirect struct {
	Status   int    `json:"status"`
	Location string `json:"location"`
}
