package report

import "github.com/certgate/certgate/pkg/result"

// skipper is implemented by renderers that print a summary: Quiet hands them
// the results it leaves out, so the summary still counts every target.
type skipper interface {
	skip(result.Result)
}

// quietRenderer passes on only the results that are not ok.
type quietRenderer struct {
	next Renderer
}

// Quiet returns a Renderer that passes only the results that are not ok to
// r. Renderers that print a summary line still count the ok results in it.
func Quiet(r Renderer) Renderer {
	return &quietRenderer{next: r}
}

// Add passes r on unless its status is ok.
func (q *quietRenderer) Add(r result.Result) error {
	if r.Status == result.StatusOK {
		if s, ok := q.next.(skipper); ok {
			s.skip(r)
		}
		return nil
	}
	return q.next.Add(r)
}

// Close closes the wrapped renderer.
func (q *quietRenderer) Close() error { return q.next.Close() }
