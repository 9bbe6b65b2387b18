package starttls

import (
	"strconv"
	"strings"
)

// imap is IMAP's upgrade (RFC 3501 6.2.1, RFC 9051): the "* OK" greeting,
// CAPABILITY listing STARTTLS (asked for only when the greeting's
// [CAPABILITY] code does not list it), then STARTTLS answered by a
// tagged OK. A "* PREAUTH" greeting allows no upgrade; "* BYE" refuses
// the session.
func imap(d *dialogue) error {
	line, err := d.readLine()
	if err != nil {
		return err
	}
	status, _ := imapStatus(line)
	switch {
	case !strings.HasPrefix(line, "* "):
		return d.protocol([]byte(line), "expected an untagged \"* OK\" greeting")
	case status == "OK":
	case status == "PREAUTH":
		return d.notOffered([]byte(line)) // RFC 3501: no STARTTLS after PREAUTH
	case status == "BYE":
		return d.refusedSession([]byte(line))
	default:
		return d.protocol([]byte(line), "expected an untagged \"* OK\" greeting")
	}
	// A greeting whose CAPABILITY code lists STARTTLS (Dovecot's does)
	// saves the CAPABILITY round trip (RFC 3501 7.1, response codes).
	if !imapOffers([]string{line}, "STARTTLS") {
		if err := imapCapability(d); err != nil {
			return err
		}
	}
	if err := d.sendLine("a2 STARTTLS"); err != nil {
		return err
	}
	_, tagged, err := readIMAPResponse(d, "a2")
	if err != nil {
		return err
	}
	switch status, _ := imapStatus(tagged); status {
	case "OK":
		return nil
	case "NO", "BAD":
		return d.refused([]byte(tagged))
	}
	return d.protocol([]byte(tagged), "expected a2 OK to start TLS")
}

// imapCapability asks for the capabilities and fails unless they list
// STARTTLS.
func imapCapability(d *dialogue) error {
	if err := d.sendLine("a1 CAPABILITY"); err != nil {
		return err
	}
	untagged, tagged, err := readIMAPResponse(d, "a1")
	if err != nil {
		return err
	}
	switch status, _ := imapStatus(tagged); status {
	case "OK":
	case "NO", "BAD":
		return d.notOffered([]byte(tagged))
	default:
		return d.protocol([]byte(tagged), "expected a1 OK, NO or BAD")
	}
	if !imapOffers(untagged, "STARTTLS") {
		return d.notOffered([]byte(strings.Join(append(untagged, tagged), "\n")))
	}
	return nil
}

// imapStatus returns the second word of a response line upper-cased (the
// status after "*" or a tag) and the rest.
func imapStatus(line string) (string, string) {
	_, rest, _ := strings.Cut(line, " ")
	word, rest, _ := strings.Cut(rest, " ")
	return strings.ToUpper(word), rest
}

// readIMAPResponse reads untagged lines up to the line tagged tag. An
// untagged BYE ends the session and is a refusal.
func readIMAPResponse(d *dialogue, tag string) (untagged []string, tagged string, err error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, "", err
		}
		if err := skipIMAPLiteral(d, line); err != nil {
			return nil, "", err
		}
		switch {
		case strings.HasPrefix(line, tag+" "):
			return untagged, line, nil
		case strings.HasPrefix(line, "* "):
			if s, _ := imapStatus(line); s == "BYE" {
				return nil, "", d.refused([]byte(line))
			}
			untagged = append(untagged, line)
		case strings.HasPrefix(line, "+"):
			return nil, "", d.protocol([]byte(line), "a continuation request where none was due")
		default:
			// The rest of a literal, or garbage: keep it for the
			// message, it carries no capability.
			untagged = append(untagged, line)
		}
		if len(untagged) > 1000 {
			return nil, "", d.ioError([]byte(line), ErrTooLarge)
		}
	}
}

// imapOffers reports whether an untagged CAPABILITY response (or an OK
// with a [CAPABILITY ...] code) among lines lists capability.
func imapOffers(lines []string, capability string) bool {
	for _, l := range lines {
		status, rest := imapStatus(l)
		switch status {
		case "CAPABILITY":
		case "OK":
			up := strings.ToUpper(rest)
			if !strings.HasPrefix(up, "[CAPABILITY ") {
				continue
			}
			rest, _, _ = strings.Cut(rest[len("[CAPABILITY "):], "]")
		default:
			continue
		}
		for _, c := range strings.Fields(rest) {
			if strings.EqualFold(c, capability) {
				return true
			}
		}
	}
	return false
}

// skipIMAPLiteral reads and drops the literal a line announces with a
// trailing {N} or {N+} (RFC 3501 4.3, RFC 7888), so that its bytes are not
// taken for response lines. The rest of the response after the literal
// follows as a line of its own.
func skipIMAPLiteral(d *dialogue, line string) error {
	if !strings.HasSuffix(line, "}") {
		return nil
	}
	open := strings.LastIndexByte(line, '{')
	if open < 0 {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(line[open+1:len(line)-1], "+"), 10, 64)
	if err != nil || n < 0 {
		return nil
	}
	if n > d.lim.left+int64(d.r.Buffered()) {
		return d.ioError([]byte(line), ErrTooLarge)
	}
	if _, err := d.r.Discard(int(n)); err != nil {
		return d.ioError([]byte(line), err)
	}
	return nil
}
