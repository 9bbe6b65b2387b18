package target

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type entry struct {
	line int
	raw  string
}

func readAll(t *testing.T, r io.Reader) ([]entry, error) {
	t.Helper()
	var got []entry
	err := ReadList(r, func(line int, raw string) error {
		got = append(got, entry{line, raw})
		return nil
	})
	return got, err
}

func TestReadList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []entry
	}{
		{name: "empty", in: "", want: nil},
		{name: "one line no newline", in: "example.com", want: []entry{{1, "example.com"}}},
		{name: "one line newline", in: "example.com\n", want: []entry{{1, "example.com"}}},
		{
			name: "comments and blanks",
			in:   "# targets\n\nexample.com\n   # indented comment\n\t\nhttps://a.example/#frag\nb.example:8443 # staging\n",
			want: []entry{{3, "example.com"}, {6, "https://a.example/#frag"}, {7, "b.example:8443"}},
		},
		{
			name: "trailing comments",
			in:   "a.example # one\nb.example\t# tab\nhttps://c.example/p#frag # both\nhttps://d.example/#x#y\ne.example #\n   # only\n",
			want: []entry{{1, "a.example"}, {2, "b.example"}, {3, "https://c.example/p#frag"}, {4, "https://d.example/#x#y"}, {5, "e.example"}},
		},
		{name: "crlf", in: "a.example\r\n\r\nb.example\r\n", want: []entry{{1, "a.example"}, {3, "b.example"}}},
		{name: "bom", in: "\uFEFFa.example\nb.example\n", want: []entry{{1, "a.example"}, {2, "b.example"}}},
		{name: "bom comment", in: "\uFEFF# c\na.example\n", want: []entry{{2, "a.example"}}},
		{name: "bom only first line", in: "a.example\n\uFEFFb.example\n", want: []entry{{1, "a.example"}, {2, "\uFEFFb.example"}}},
		{name: "surrounding space", in: "  a.example  \n\tb.example\t\n", want: []entry{{1, "a.example"}, {2, "b.example"}}},
		{name: "blank lines at end", in: "a.example\n\n\n", want: []entry{{1, "a.example"}}},
		{name: "only comments", in: "#a\n#b", want: nil},
		{name: "nul kept for Parse", in: "a\x00b\n", want: []entry{{1, "a\x00b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadList error = %v", err)
			}
			if !equalEntries(got, tt.want) {
				t.Errorf("ReadList = %v, want %v", got, tt.want)
			}
			// The same input read one byte at a time gives the same result.
			got, err = readAll(t, iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil || !equalEntries(got, tt.want) {
				t.Errorf("ReadList one byte at a time = %v, %v, want %v", got, err, tt.want)
			}
		})
	}
}

func equalEntries(a, b []entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadListLongLine(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 3*MaxLineBytes)
	in := "a.example\n" + long + "\nb.example\n# " + strings.Repeat("c", 2*MaxLineBytes) + "\nc.example\n" + long
	got, err := readAll(t, strings.NewReader(in))
	if err != nil {
		t.Fatalf("ReadList error = %v", err)
	}
	if len(got) != 5 {
		t.Fatalf("ReadList gave %d entries, want 5: lines %v", len(got), lines(got))
	}
	wantLines := []int{1, 2, 3, 5, 6}
	for i, e := range got {
		if e.line != wantLines[i] {
			t.Errorf("entry %d on line %d, want %d", i, e.line, wantLines[i])
		}
		if len(e.raw) > MaxLineBytes {
			t.Errorf("line %d passed with %d bytes, want at most %d", e.line, len(e.raw), MaxLineBytes)
		}
	}
	for _, i := range []int{1, 4} {
		if !strings.HasPrefix(got[i].raw, "https://example.com/aaa") {
			t.Errorf("long line %d passed as %.40q…", got[i].line, got[i].raw)
		}
		_, err := Parse(got[i].raw)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "longer than") {
			t.Errorf("Parse(long line %d) error = %v, want a too-long *ParseError", got[i].line, err)
		}
	}
	if got[2].raw != "b.example" || got[3].raw != "c.example" {
		t.Errorf("short lines around long ones = %q, %q", got[2].raw, got[3].raw)
	}
}

func TestReadListLongBlankLine(t *testing.T) {
	// A line of only white space longer than the cap is still reported, so
	// that the text after the cap is not silently lost.
	in := strings.Repeat(" ", MaxLineBytes+10) + "example.com\nb.example\n"
	got, err := readAll(t, strings.NewReader(in))
	if err != nil {
		t.Fatalf("ReadList error = %v", err)
	}
	if len(got) != 2 || got[0].line != 1 || got[1] != (entry{2, "b.example"}) {
		t.Fatalf("ReadList = lines %v, want [1 2]", lines(got))
	}
	if _, err := Parse(got[0].raw); err == nil {
		t.Errorf("Parse(cut blank line) succeeded, want an error")
	}
}

func lines(es []entry) []int {
	var ls []int
	for _, e := range es {
		ls = append(ls, e.line)
	}
	return ls
}

func TestReadListLineExactlyAtCap(t *testing.T) {
	// A line of exactly MaxLineBytes is passed whole, with or without a
	// line end; one byte more and it is cut.
	line := strings.Repeat("a", MaxLineBytes)
	for _, in := range []string{line + "\nb\n", line} {
		got, err := readAll(t, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].raw != line {
			t.Errorf("ReadList = lines %v, want the whole first line", lines(got))
		}
	}
	got, err := readAll(t, strings.NewReader(line+"a\nb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].raw != line || got[1] != (entry{2, "b"}) {
		t.Errorf("ReadList = lines %v, want the first line cut to MaxLineBytes and b on line 2", lines(got))
	}
}

func TestReadListCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var seen []int
	err := ReadList(strings.NewReader("a\nb\nc\n"), func(line int, raw string) error {
		seen = append(seen, line)
		if raw == "b" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("ReadList error = %v, want the callback's error as is", err)
	}
	if len(seen) != 2 {
		t.Errorf("callback saw lines %v, want [1 2]", seen)
	}
}

func TestReadListReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(boom))
	var got []entry
	err := ReadList(r, func(line int, raw string) error {
		got = append(got, entry{line, raw})
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("ReadList error = %v, want it to wrap %v", err, boom)
	}
	if !strings.Contains(err.Error(), "line 3") {
		t.Errorf("ReadList error = %q, want the line number", err)
	}
	if len(got) != 2 {
		t.Errorf("ReadList passed %v before the error, want lines 1 and 2", got)
	}
}

// TestReadListStreams checks that ReadList hands over each line before it
// reads the rest of the input.
func TestReadListStreams(t *testing.T) {
	pr, pw := io.Pipe()
	lines := make(chan entry)
	done := make(chan error, 1)
	go func() {
		done <- ReadList(pr, func(line int, raw string) error {
			lines <- entry{line, raw}
			return nil
		})
	}()
	for i, host := range []string{"a.example", "b.example"} {
		if _, err := io.WriteString(pw, host+"\n"); err != nil {
			t.Fatal(err)
		}
		if e := <-lines; e != (entry{i + 1, host}) {
			t.Fatalf("got %v, want %v", e, entry{i + 1, host})
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("ReadList error = %v", err)
	}
}
