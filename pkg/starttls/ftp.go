package starttls

// ftp is FTP's upgrade (RFC 4217): the 220 greeting, then AUTH TLS answered
// by 234. A server that does not know the command (500, 502, 504) does not
// offer TLS.
func ftp(d *dialogue) error {
	code, text, err := readSMTPReply(d)
	if err != nil {
		return err
	}
	switch {
	case code == 220:
	case code == 421 || code/100 == 5:
		return d.refusedSession(text)
	default:
		return d.protocol(text, "expected a 220 greeting")
	}
	if err := d.sendLine("AUTH TLS"); err != nil {
		return err
	}
	code, text, err = readSMTPReply(d)
	if err != nil {
		return err
	}
	switch {
	case code == 234:
		return nil
	case code == 500 || code == 502 || code == 504:
		return d.notOffered(text)
	case code/100 == 4 || code/100 == 5:
		return d.refused(text)
	}
	return d.protocol(text, "expected 234 to start TLS")
}
