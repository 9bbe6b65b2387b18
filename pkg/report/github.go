package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// githubRenderer writes GitHub Actions workflow commands on Close, in input
// order: "::error" for fail and error results, "::warning" for warn, a plain
// line for ok, and a summary line. The message of a command is the detail
// and then the problems that do not repeat it, one per line. GitHub turns the commands into
// annotations on the run.
type githubRenderer struct {
	out io.Writer
	buf buffer
}

func newGitHub(ios *iostreams.IOStreams, _ Options) Renderer {
	return &githubRenderer{out: ios.Out}
}

// Add buffers r.
func (g *githubRenderer) Add(r result.Result) error { return g.buf.add(r) }

func (g *githubRenderer) skip(r result.Result) { g.buf.skip(r) }

// Close writes the commands and the summary.
func (g *githubRenderer) Close() error {
	rs, skipped, err := g.buf.close()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	for i := range rs {
		r := &rs[i]
		cmd := ""
		switch r.Status {
		case result.StatusOK:
			// Never starts with "::", so it is never taken for a command.
			fmt.Fprintf(&b, "ok: %s\n", Sanitize(targetName(r)))
			continue
		case result.StatusWarn:
			cmd = "warning"
		default: // fail, error, and any status this version does not know
			cmd = "error"
		}
		title := Sanitize(targetName(r)) + ": " + headline(r)
		lines := detailLines(r)
		for i, l := range lines {
			lines[i] = Sanitize(l)
		}
		fmt.Fprintf(&b, "::%s title=%s::%s\n", cmd, ghProperty(title), ghData(strings.Join(lines, "\n")))
	}
	fmt.Fprintf(&b, "certgate: %s\n", tallyOf(rs).plus(skipped))
	if _, err := g.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write github: %w", err)
	}
	return nil
}

// ghData escapes the message of a workflow command: %, carriage return and
// newline.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a property value of a workflow command: as ghData, and
// the ":" and "," that end a value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
