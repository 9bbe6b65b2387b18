package starttls

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// XML namespaces of the XMPP stream (RFC 6120).
const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

// xmpp is XMPP's upgrade (RFC 6120 5): open a stream to the domain in
// namespace ns (jabber:client or jabber:server), read the stream features,
// which list <starttls/>, send <starttls/> and read <proceed/>.
func xmpp(d *dialogue, ns string) error {
	domain := d.opts.Domain
	if domain == "" {
		domain = d.opts.Host
	}
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?><stream:stream xmlns:stream='" + nsStreams + "' xmlns='" + ns + "' to='")
	_ = xml.EscapeText(&b, []byte(domain))
	b.WriteString("' version='1.0'>")
	if err := d.send("the stream header", []byte(b.String())); err != nil {
		return err
	}
	dec := xml.NewDecoder(d.r) // a ByteReader: the decoder reads no further than it parses
	dec.Strict = true
	// The server's stream header.
	start, err := xmppNext(d, dec)
	if err != nil {
		return err
	}
	if start.Name.Space != nsStreams || start.Name.Local != "stream" {
		return d.protocol([]byte("<"+start.Name.Local+">"), "expected the server's <stream:stream> header")
	}
	if got := xmppContentNS(start); got != "" && got != ns {
		return xmppWrongStream(d, got, ns)
	}
	// The stream features.
	d.step = "the stream header (waiting for stream features)"
	start, err = xmppNext(d, dec)
	if err != nil {
		return err
	}
	if err := xmppStreamError(d, dec, start); err != nil {
		return err
	}
	if start.Name.Space != nsStreams || start.Name.Local != "features" {
		return d.protocol([]byte("<"+start.Name.Local+">"), "expected <stream:features>")
	}
	offered, features, err := xmppFeatures(d, dec)
	if err != nil {
		return err
	}
	if !offered {
		return d.notOffered([]byte("<stream:features>" + strings.Join(features, "") + "</stream:features>"))
	}
	if err := d.send("<starttls/>", []byte("<starttls xmlns='"+nsTLS+"'/>")); err != nil {
		return err
	}
	start, err = xmppNext(d, dec)
	if err != nil {
		return err
	}
	if err := xmppStreamError(d, dec, start); err != nil {
		return err
	}
	switch {
	case start.Name.Space == nsTLS && start.Name.Local == "proceed":
		if err := dec.Skip(); err != nil {
			return xmppError(d, err)
		}
		return nil
	case start.Name.Space == nsTLS && start.Name.Local == "failure":
		return d.refused([]byte("<failure xmlns='" + nsTLS + "'/>"))
	}
	return d.protocol([]byte("<"+start.Name.Local+">"), "expected <proceed/> or <failure/>")
}

// xmppContentNS is the content namespace a stream header declares (its
// default xmlns), "" when it declares none.
func xmppContentNS(start xml.StartElement) string {
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == "xmlns" {
			return a.Value
		}
	}
	return ""
}

// xmppWrongStream is a server that answered a stream of one kind with
// another: a server-to-server port spoken to as a client port (Prosody
// answers so instead of with a stream error), or the reverse.
func xmppWrongStream(d *dialogue, got, want string) error {
	err := &Error{Proto: d.proto, Kind: KindProtocol, Step: d.step, Reply: Quote([]byte("xmlns='" + got + "'")),
		Why: "it opened a " + strconv.Quote(got) + " stream, not " + strconv.Quote(want)}
	switch got {
	case "jabber:server":
		err.Fix = "the port serves XMPP server-to-server streams: check it as xmpp-server:// (--starttls xmpp-server), or check the client port (5222) as xmpp://"
	case "jabber:client":
		err.Fix = "the port serves XMPP client streams: check it as xmpp:// (--starttls xmpp), or check the server-to-server port (5269) as xmpp-server://"
	}
	return err
}

// xmppNext returns the next start element, skipping the XML declaration,
// comments and white space.
func xmppNext(d *dialogue, dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, xmppError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, d.refused([]byte("</" + t.Name.Local + ">")) // the server closed the stream
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return xml.StartElement{}, d.protocol(t, "text where an element was due")
			}
		case xml.Directive:
			return xml.StartElement{}, d.protocol([]byte("<!"+string(t)+">"), "a DTD, which XMPP forbids")
		}
	}
}

// xmppStreamError turns a <stream:error> into a refusal naming its
// condition.
func xmppStreamError(d *dialogue, dec *xml.Decoder, start xml.StartElement) error {
	if start.Name.Space != nsStreams || start.Name.Local != "error" {
		return nil
	}
	var e struct {
		Inner []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	if err := dec.DecodeElement(&e, &start); err != nil {
		return xmppError(d, err)
	}
	cond := "<stream:error>"
	name := ""
	if len(e.Inner) > 0 {
		name = e.Inner[0].XMLName.Local
		cond = "<stream:error><" + name + "/></stream:error>"
	}
	err := &Error{Proto: d.proto, Kind: KindRefused, Step: d.step, Reply: Quote([]byte(cond)), Why: "closed the stream with an error"}
	if name == "host-unknown" || name == "host-gone" || name == "improper-addressing" {
		to := d.opts.Domain
		if to == "" {
			to = d.opts.Host
		}
		err.Why = "does not serve the domain " + strconv.Quote(to)
		err.Fix = "give the XMPP domain the server hosts with --xmpp-domain (the certificate must still match the target's host)"
	}
	return err
}

// xmppFeatures reads the children of <stream:features> up to its end, and
// reports whether <starttls/> is among them.
func xmppFeatures(d *dialogue, dec *xml.Decoder) (bool, []string, error) {
	offered := false
	var names []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return false, nil, xmppError(d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == nsTLS && t.Name.Local == "starttls" {
				offered = true
			}
			names = append(names, "<"+t.Name.Local+"/>")
			if err := dec.Skip(); err != nil {
				return false, nil, xmppError(d, err)
			}
		case xml.EndElement:
			return offered, names, nil
		}
	}
}

// xmppError is a decoding failure: an I/O error as such, else XML that is
// not well-formed.
func xmppError(d *dialogue, err error) error {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		if syn.Msg == "unexpected EOF" {
			return d.ioError(nil, io.ErrUnexpectedEOF)
		}
		return d.protocol(nil, "XML that is not well-formed ("+clipText(syn.Msg)+")")
	}
	return d.ioError(nil, err)
}
