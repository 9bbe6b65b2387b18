package result

// Budgets are the limits of the sender profile an HTTP leg ran under, after
// the URL fragment's overrides: what the leg's timings are measured against.
type Budgets struct {
	// ConnectMS bounds one TCP connect.
	ConnectMS float64 `json:"connect_timeout_ms"`
	// ReadMS bounds the wait for a response's first byte.
	ReadMS float64 `json:"read_timeout_ms"`
	// TotalMS bounds the whole exchange, every attempt and redirect.
	TotalMS float64 `json:"total_timeout_ms"`
	// Attempts is how many times the sender connects (1 + retries).
	Attempts int `json:"attempts"`
	// MaxRedirects is the most redirects the sender follows; 0 when it
	// follows none.
	MaxRedirects int `json:"max_redirects"`
}
