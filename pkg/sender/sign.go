package sender

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// Sign adds to h the signature headers the profile's sender adds to a
// request with this body, sent to rawURL (without its fragment) at the time
// now. form holds the parsed POST parameters of a form body (Twilio signs
// those, not the body). A profile that does not sign adds nothing. The
// secret is used only as the HMAC key and never written anywhere else.
func Sign(p Profile, h http.Header, secret []byte, rawURL string, body []byte, form url.Values, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	switch p.Signature {
	case SignTwilio:
		h.Set(p.SignatureHeader, TwilioSignature(secret, rawURL, form))
	case SignStripe:
		h.Set(p.SignatureHeader, "t="+ts+",v1="+hexHMAC(secret, []byte(ts+"."+string(body))))
	case SignGitHub:
		h.Set(p.SignatureHeader, "sha256="+hexHMAC(secret, body))
	case SignSlack:
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set(p.SignatureHeader, "v0="+hexHMAC(secret, []byte("v0:"+ts+":"+string(body))))
	}
}

// TwilioSignature is Twilio's request signature: the base64 HMAC-SHA1,
// keyed with the auth token, of the full URL followed by each POST
// parameter's name and value, sorted by name.
func TwilioSignature(secret []byte, rawURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	data := rawURL
	for _, k := range names {
		vs := append([]string(nil), form[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			data += k + v
		}
	}
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func hexHMAC(secret, data []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}
