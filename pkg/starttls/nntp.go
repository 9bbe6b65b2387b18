package starttls

import "strings"

// nntp is NNTP's upgrade (RFC 4642): the 200 or 201 greeting, CAPABILITIES
// (RFC 3977) listing STARTTLS, then STARTTLS answered by 382.
func nntp(d *dialogue) error {
	line, err := d.readLine()
	if err != nil {
		return err
	}
	code, _, ok := replyCode(line)
	switch {
	case !ok:
		return d.protocol([]byte(line), "expected a 200 or 201 greeting")
	case code == 200 || code == 201:
	case code == 400 || code == 502:
		return d.refusedSession([]byte(line))
	default:
		return d.protocol([]byte(line), "expected a 200 or 201 greeting")
	}
	if err := d.sendLine("CAPABILITIES"); err != nil {
		return err
	}
	line, err = d.readLine()
	if err != nil {
		return err
	}
	code, _, ok = replyCode(line)
	switch {
	case ok && code == 101:
		caps, err := readDotted(d, []byte(line))
		if err != nil {
			return err
		}
		if !hasWord(caps, "STARTTLS") {
			return d.notOffered([]byte(strings.Join(append([]string{line}, caps...), "\n")))
		}
	case ok && code/100 == 5:
		// A server older than RFC 3977: ask for the upgrade directly.
	default:
		return d.protocol([]byte(line), "expected 101 with the capability list")
	}
	if err := d.sendLine("STARTTLS"); err != nil {
		return err
	}
	line, err = d.readLine()
	if err != nil {
		return err
	}
	code, _, ok = replyCode(line)
	switch {
	case ok && code == 382:
		return nil
	case ok && (code == 500 || code == 501):
		return d.notOffered([]byte(line))
	case ok && (code/100 == 4 || code/100 == 5):
		return d.refused([]byte(line))
	}
	return d.protocol([]byte(line), "expected 382 to start TLS")
}

// readDotted reads the lines of a multi-line block up to the line "."
// (NNTP, POP3), undoing dot-stuffing.
func readDotted(d *dialogue, first []byte) ([]string, error) {
	var lines []string
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if line == "." {
			return lines, nil
		}
		lines = append(lines, strings.TrimPrefix(line, "."))
		if len(lines) > 1000 {
			return nil, d.ioError(first, ErrTooLarge)
		}
	}
}

// hasWord reports whether a line of lines starts with the word, any case.
func hasWord(lines []string, word string) bool {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], word) {
			return true
		}
	}
	return false
}
