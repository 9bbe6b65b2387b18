package starttls

import "strings"

// sieve is ManageSieve's upgrade (RFC 5804): the greeting is the capability
// list, one quoted name a line, ending with OK; "STARTTLS" among them; then
// STARTTLS answered by OK.
func sieve(d *dialogue) error {
	caps, end, err := readSieveResponse(d)
	if err != nil {
		return err
	}
	switch sieveStatus(end) {
	case "OK":
	case "NO", "BYE":
		return d.refusedSession([]byte(end))
	default:
		return d.protocol([]byte(end), "expected the capability list ending in OK")
	}
	offered := false
	for _, c := range caps {
		name, _, _ := strings.Cut(c, " ")
		if strings.EqualFold(name, `"STARTTLS"`) {
			offered = true
		}
	}
	if !offered {
		return d.notOffered([]byte(strings.Join(append(caps, end), "\n")))
	}
	if err := d.sendLine("STARTTLS"); err != nil {
		return err
	}
	_, end, err = readSieveResponse(d)
	if err != nil {
		return err
	}
	switch sieveStatus(end) {
	case "OK":
		return nil
	case "NO", "BYE":
		return d.refused([]byte(end))
	}
	return d.protocol([]byte(end), "expected OK to start TLS")
}

// sieveStatus returns the response word that begins line (OK, NO, BYE)
// upper-cased, or "" when the line does not begin with one.
func sieveStatus(line string) string {
	word, _, _ := strings.Cut(line, " ")
	switch w := strings.ToUpper(word); w {
	case "OK", "NO", "BYE":
		return w
	}
	return ""
}

// readSieveResponse reads lines up to the one that begins with OK, NO or
// BYE; every line before it must be a quoted string (a capability).
func readSieveResponse(d *dialogue) (lines []string, end string, err error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, "", err
		}
		if sieveStatus(line) != "" {
			return lines, line, nil
		}
		if !strings.HasPrefix(line, `"`) {
			return nil, "", d.protocol([]byte(line), "expected a quoted capability or OK")
		}
		lines = append(lines, line)
		if len(lines) > 1000 {
			return nil, "", d.ioError([]byte(line), ErrTooLarge)
		}
	}
}
