package starttls

import "strings"

// pop3 is POP3's upgrade (RFC 2595): the +OK greeting, CAPA (RFC 2449)
// listing STLS, then STLS answered by +OK. A server that does not know CAPA
// is asked for STLS directly.
func pop3(d *dialogue) error {
	line, err := d.readLine()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(line, "+OK"):
	case strings.HasPrefix(line, "-ERR"):
		return d.refusedSession([]byte(line))
	default:
		return d.protocol([]byte(line), "expected a +OK greeting")
	}
	if err := d.sendLine("CAPA"); err != nil {
		return err
	}
	line, err = d.readLine()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(line, "+OK"):
		caps, err := readDotted(d, []byte(line))
		if err != nil {
			return err
		}
		if !hasWord(caps, "STLS") {
			return d.notOffered([]byte(strings.Join(append([]string{line}, caps...), "\n")))
		}
	case strings.HasPrefix(line, "-ERR"):
		// No CAPA: ask for the upgrade directly.
	default:
		return d.protocol([]byte(line), "expected +OK or -ERR")
	}
	if err := d.sendLine("STLS"); err != nil {
		return err
	}
	line, err = d.readLine()
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(line, "+OK"):
		return nil
	case strings.HasPrefix(line, "-ERR"):
		return d.refused([]byte(line))
	}
	return d.protocol([]byte(line), "expected +OK to start TLS")
}
