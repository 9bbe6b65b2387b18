package starttls

import (
	"strings"
)

// smtp is the STARTTLS dialogue of SMTP and submission (RFC 3207), and of
// LMTP (RFC 2033) with hello "LHLO": the 220 greeting, EHLO (or LHLO) whose
// 250 reply lists STARTTLS, then STARTTLS answered by 220.
func smtp(d *dialogue, hello string) error {
	code, text, err := readSMTPReply(d)
	if err != nil {
		return err
	}
	switch {
	case code == 220:
	case code == 554 || code/100 == 4:
		return d.refusedSession(text)
	default:
		return d.protocol(text, "expected a 220 greeting")
	}
	name := d.opts.ClientName
	if name == "" {
		name = DefaultClientName
	}
	if err := d.sendLine(hello + " " + name); err != nil {
		return err
	}
	code, text, err = readSMTPReply(d)
	if err != nil {
		return err
	}
	switch {
	case code/100 == 2:
	case code == 500 || code == 502 || code == 504:
		return d.notOffered(text) // no extended hello: no extensions at all
	case code/100 == 4 || code/100 == 5:
		return &Error{Proto: d.proto, Kind: KindRefused, Step: d.step, Reply: Quote(text),
			Why: "rejected the client's hello", Fix: "check its HELO/EHLO restrictions for the name " + name}
	default:
		return d.protocol(text, "expected a 250 reply")
	}
	if !smtpOffers(string(text), "STARTTLS") {
		return d.notOffered(text)
	}
	if err := d.sendLine("STARTTLS"); err != nil {
		return err
	}
	code, text, err = readSMTPReply(d)
	if err != nil {
		return err
	}
	switch code / 100 {
	case 2:
		if code != 220 {
			return d.protocol(text, "expected 220 to start TLS")
		}
		return nil
	case 4, 5:
		return d.refused(text)
	}
	return d.protocol(text, "expected 220 to start TLS")
}

// smtpOffers reports whether a multiline EHLO reply (lines joined by "\n")
// lists the keyword as an extension: the first word after a line's code.
func smtpOffers(reply, keyword string) bool {
	for i, line := range strings.Split(reply, "\n") {
		if i == 0 || len(line) < 4 {
			continue // the first line is the server's name
		}
		word, _, _ := strings.Cut(line[4:], " ")
		if strings.EqualFold(word, keyword) {
			return true
		}
	}
	return false
}

// readSMTPReply reads one reply of SMTP, LMTP or FTP (RFC 5321 4.2, RFC 959
// 4.2): lines "NNN-text" then a last "NNN text", every line with the same
// code. FTP allows other lines in between; they are kept. It returns the
// code and the reply's lines joined by "\n".
func readSMTPReply(d *dialogue) (int, []byte, error) {
	var all []string
	code := -1
	for {
		line, err := d.readLine()
		if err != nil {
			return 0, nil, err
		}
		all = append(all, line)
		c, last, ok := replyCode(line)
		if code < 0 {
			if !ok {
				return 0, nil, d.protocol([]byte(strings.Join(all, "\n")), "expected a reply with a three-digit code")
			}
			code = c
		}
		if ok && c == code && last {
			return code, []byte(strings.Join(all, "\n")), nil
		}
		if ok && c != code && d.proto != FTP {
			return 0, nil, d.protocol([]byte(strings.Join(all, "\n")), "the lines of one reply carry different codes")
		}
		if !ok && d.proto != FTP {
			return 0, nil, d.protocol([]byte(strings.Join(all, "\n")), "expected a reply with a three-digit code")
		}
		if len(all) > 1000 {
			return 0, nil, d.ioError([]byte(all[0]), ErrTooLarge)
		}
	}
}

// replyCode reads the code of an SMTP or FTP reply line, and whether it is
// the reply's last line ("250 " or "250" alone, not "250-").
func replyCode(line string) (code int, last, ok bool) {
	if len(line) < 3 {
		return 0, false, false
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, false
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if code < 100 || code > 599 {
		return 0, false, false
	}
	switch {
	case len(line) == 3 || line[3] == ' ':
		return code, true, true
	case line[3] == '-':
		return code, false, true
	}
	return 0, false, false
}
