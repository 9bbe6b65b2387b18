package sender

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Override keys of the URL fragment, as Twilio's connection overrides
// define them (the sources in the profile table).
const (
	KeyConnect = "ct"  // connect timeout, ms
	KeyRead    = "rt"  // read timeout (first byte), ms
	KeyTotal   = "tt"  // total timeout of all attempts, ms
	KeyRetries = "rc"  // retry count
	KeyPolicy  = "rp"  // retry policy: 4xx, 5xx, ct, rt, all (comma-separated)
	KeySNI     = "sni" // y: always send SNI; n: never
	KeyEdge    = "e"   // egress edge: recorded, no effect on a local check
)

// Ranges of the numeric overrides, inclusive.
var ranges = map[string][2]int{
	KeyConnect: {100, 10000},
	KeyRead:    {100, 15000},
	KeyTotal:   {100, 15000},
	KeyRetries: {0, 5},
}

// retryPolicies are the values rp takes.
var retryPolicies = []string{"4xx", "5xx", "ct", "rt", "all"}

// Overrides are the connection overrides read from a URL fragment. Only the
// keys given are set.
type Overrides struct {
	// Values echoes every key given, as given (result http.overrides).
	Values map[string]string
	// Connect, Read and Total are the timeouts given, zero when not.
	Connect, Read, Total time.Duration
	// Retries is the retry count given; -1 when not.
	Retries int
	// RetryOn is the retry policy given, nil when not.
	RetryOn []string
	// SNI is the server-name mode given, "" when not.
	SNI SNI
}

// OverrideError is a fragment override that is not valid: an unknown key,
// a malformed pair, or a value out of its documented range.
type OverrideError struct {
	// Key and Value are the pair as given.
	Key, Value string
	// Reason says what is wrong and what is allowed.
	Reason string
}

// Error names the pair and the allowed values.
func (e *OverrideError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("URL fragment override %q: %s", e.Value, e.Reason)
	}
	return fmt.Sprintf("URL fragment override %s=%s: %s", e.Key, e.Value, e.Reason)
}

// ParseOverrides reads the connection overrides of a URL fragment (without
// the "#"): key=value pairs separated by "&". A fragment without "=" is an
// ordinary fragment, not overrides, and gives none. A key given twice, an
// unknown key or a value out of range is an *OverrideError.
func ParseOverrides(fragment string) (Overrides, error) {
	o := Overrides{Retries: -1}
	if fragment == "" || !strings.Contains(fragment, "=") {
		return o, nil
	}
	o.Values = map[string]string{}
	for pair := range strings.SplitSeq(fragment, "&") {
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return Overrides{}, &OverrideError{Value: pair, Reason: "not a key=value pair (for example #ct=3000&rt=8000)"}
		}
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		if _, dup := o.Values[k]; dup {
			return Overrides{}, &OverrideError{Key: k, Value: v, Reason: "given twice (keep one)"}
		}
		o.Values[k] = v
		switch k {
		case KeyConnect, KeyRead, KeyTotal, KeyRetries:
			r := ranges[k]
			n, err := strconv.Atoi(v)
			if err != nil || n < r[0] || n > r[1] {
				unit := " ms"
				if k == KeyRetries {
					unit = ""
				}
				return Overrides{}, &OverrideError{Key: k, Value: v, Reason: fmt.Sprintf("must be a whole number from %d to %d%s", r[0], r[1], unit)}
			}
			d := time.Duration(n) * time.Millisecond
			switch k {
			case KeyConnect:
				o.Connect = d
			case KeyRead:
				o.Read = d
			case KeyTotal:
				o.Total = d
			default:
				o.Retries = n
			}
		case KeyPolicy:
			for p := range strings.SplitSeq(v, ",") {
				if !slices.Contains(retryPolicies, p) {
					return Overrides{}, &OverrideError{Key: k, Value: v, Reason: "must be a comma-separated list of " + strings.Join(retryPolicies, ", ")}
				}
				o.RetryOn = append(o.RetryOn, p)
			}
		case KeySNI:
			switch v {
			case "y":
				o.SNI = SNIWith
			case "n":
				o.SNI = SNIWithout
			default:
				return Overrides{}, &OverrideError{Key: k, Value: v, Reason: "must be y (always send the server name) or n (never)"}
			}
		case KeyEdge:
			if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz-") != "" {
				return Overrides{}, &OverrideError{Key: k, Value: v, Reason: "must be an edge location name such as ashburn or dublin"}
			}
		default:
			return Overrides{}, &OverrideError{Key: k, Value: v, Reason: "unknown key; the overrides are ct, rt, tt, rc, rp, sni and e"}
		}
	}
	return o, nil
}

// Apply returns p with the overrides o applied.
func (p Profile) Apply(o Overrides) Profile {
	p = p.clone()
	if o.Connect > 0 {
		p.ConnectTimeout = o.Connect
	}
	if o.Read > 0 {
		p.ReadTimeout = o.Read
	}
	if o.Total > 0 {
		p.TotalTimeout = o.Total
	}
	if o.Retries >= 0 {
		p.Attempts = o.Retries + 1
	}
	if o.RetryOn != nil {
		p.RetryOn = slices.Clone(o.RetryOn)
	}
	if o.SNI != "" {
		p.SNI = o.SNI
	}
	return p
}
