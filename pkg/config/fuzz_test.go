package config

import (
	"errors"
	"testing"
)

// FuzzLoad: whatever the bytes, Parse returns a File or an *Error, never
// panics, and every endpoint it returns has a target.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"endpoints:\n  - target: a.example\n",
		"defaults: {warn_days: 3, labels: {a: b}}\nendpoints:\n  - target: https://a.example\n    resolve: 127.0.0.1\n    expect: {root: X, addresses: 2}\n",
		"endpoints: [{target: a, labels: {x: &a y}}, {target: b, labels: {x: *a}}]\n",
		"a: &a [*a]\n",
		"endpoints:\n  - target: a.example\n    warndays: 3\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := Parse("f.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		for _, e := range cf.Resolved() {
			if e.Target == "" || e.Line == 0 {
				t.Fatalf("endpoint without target or line: %+v", e)
			}
		}
	})
}
