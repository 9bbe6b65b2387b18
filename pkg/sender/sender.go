// Package sender describes the webhook senders certgate preflight models,
// as data: one table of profiles (Profiles), each rule with its source — a
// URL where the sender publishes it, or NotPublished where certgate had to
// assume a value. Nothing here dials or judges; package preflight makes the
// request a profile describes.
package sender

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// NotPublished is the source of a rule the sender does not publish: the
// value is certgate's assumption, and the table says so.
const NotPublished = "not published (certgate's assumption)"

// SNI says how a sender sends the server name.
type SNI string

const (
	// SNIWith: the sender always sends the server name.
	SNIWith SNI = "with"
	// SNIWithout: the sender never sends it.
	SNIWithout SNI = "without"
	// SNIBoth: the sender may connect either way, so the endpoint must
	// present a valid certificate with and without it.
	SNIBoth SNI = "both"
)

// Variants lists the server-name variants a mode tries, in order: "with",
// "without".
func (s SNI) Variants() []string {
	switch s {
	case SNIWithout:
		return []string{"without"}
	case SNIBoth:
		return []string{"with", "without"}
	}
	return []string{"with"}
}

// Signature names how a sender signs its request.
type Signature string

const (
	// SignNone: the sender does not sign.
	SignNone Signature = ""
	// SignTwilio: X-Twilio-Signature = base64(HMAC-SHA1(secret, URL +
	// each POST parameter's name and value, sorted by name)).
	SignTwilio Signature = "twilio"
	// SignStripe: Stripe-Signature = "t=TS,v1=" +
	// hex(HMAC-SHA256(secret, TS + "." + body)).
	SignStripe Signature = "stripe"
	// SignGitHub: X-Hub-Signature-256 = "sha256=" +
	// hex(HMAC-SHA256(secret, body)).
	SignGitHub Signature = "github"
	// SignSlack: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret,
	// "v0:" + TS + ":" + body)), with X-Slack-Request-Timestamp = TS.
	SignSlack Signature = "slack"
)

// Rule is one setting's value as the table prints it and where it comes from.
type Rule struct {
	// Setting names the setting ("connect timeout").
	Setting string
	// Value is the value as printed.
	Value string
	// Source is a URL, or NotPublished.
	Source string
}

// Profile is one sender: how it connects, what it sends, what it accepts.
type Profile struct {
	// Name is the --profile value.
	Name string
	// Description says who the sender is, in a few words.
	Description string
	// Stores are the trust stores the sender's client uses.
	Stores []string
	// Clients are recorded client profiles (package clients) whose
	// handshake the sender makes; empty for Go's own.
	Clients []string
	// MinTLS is the oldest TLS version the sender accepts ("TLS 1.2").
	MinTLS string
	// SNI is how the sender sends the server name.
	SNI SNI
	// ConnectTimeout bounds one TCP connect.
	ConnectTimeout time.Duration
	// Attempts is how many times the sender connects (1 + retries).
	Attempts int
	// RetryOn says which failures are retried while attempts remain: "ct"
	// (connect failure), "rt" (no response in time), "4xx", "5xx", "all".
	RetryOn []string
	// ReadTimeout bounds the wait for the response's first byte.
	ReadTimeout time.Duration
	// TotalTimeout bounds the whole exchange, every attempt and redirect.
	TotalTimeout time.Duration
	// FollowCodes are the redirect status codes the sender follows; empty
	// when any redirect is a failure.
	FollowCodes []int
	// MaxRedirects is the most hops the sender follows.
	MaxRedirects int
	// RefusePrivate says the sender refuses private, loopback, link-local,
	// CGNAT and unique-local addresses.
	RefusePrivate bool
	// Method and ContentType are what the sender's own request uses.
	Method, ContentType string
	// SignatureHeader names the header that carries the signature; empty
	// when the sender does not sign.
	SignatureHeader string
	// Signature is the signing algorithm.
	Signature Signature
	// Sources maps each setting, as Rules names it, to its source.
	Sources map[string]string
}

// Setting names, as Rules prints them and Sources keys them.
const (
	SettingStores    = "trust stores"
	SettingClients   = "client"
	SettingMinTLS    = "min TLS"
	SettingSNI       = "SNI"
	SettingConnect   = "connect timeout"
	SettingAttempts  = "attempts"
	SettingRead      = "read timeout"
	SettingTotal     = "total timeout"
	SettingRedirects = "redirects"
	SettingPrivate   = "private addresses"
	SettingMethod    = "method"
	SettingSignature = "signature"
)

// DefaultName is the profile used when none is named.
const DefaultName = "twilio"

// Sources of the published rules.
const (
	twilioOverrides = "https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides"
	twilioSecurity  = "https://www.twilio.com/docs/usage/security#validating-requests"
	twilioWebhooks  = "https://www.twilio.com/docs/usage/webhooks/webhooks-security"
	twilioErrors    = "https://www.twilio.com/docs/api/errors/11200"
	stripeWebhooks  = "https://docs.stripe.com/webhooks"
	stripeSignature = "https://docs.stripe.com/webhooks#verify-manually"
	githubBest      = "https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks"
	githubValidate  = "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries"
	githubFailed    = "https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries"
	slackEvents     = "https://api.slack.com/apis/events-api"
	slackVerify     = "https://api.slack.com/authentication/verifying-requests-from-slack"
	mozillaRoots    = "https://wiki.mozilla.org/CA/Included_Certificates"
)

// profiles is the table. Every setting without a source entry is
// NotPublished.
var profiles = []Profile{
	{
		Name: "twilio", Description: "Twilio webhooks (SMS, Voice, status callbacks)",
		Stores: []string{"mozilla", "java"}, Clients: []string{"java-17", "java-25"}, MinTLS: "TLS 1.2", SNI: SNIBoth,
		ConnectTimeout: 5 * time.Second, Attempts: 2, RetryOn: []string{"ct"}, ReadTimeout: 15 * time.Second, TotalTimeout: 15 * time.Second,
		FollowCodes: []int{301, 302, 303, 307}, MaxRedirects: 10, RefusePrivate: true,
		Method: "POST", ContentType: "application/x-www-form-urlencoded",
		SignatureHeader: "X-Twilio-Signature", Signature: SignTwilio,
		Sources: map[string]string{
			SettingMinTLS: twilioWebhooks, SettingSNI: twilioOverrides, SettingConnect: twilioOverrides,
			SettingAttempts: twilioOverrides, SettingRead: twilioOverrides, SettingTotal: twilioOverrides,
			SettingPrivate: twilioErrors, SettingMethod: twilioSecurity, SettingSignature: twilioSecurity,
			SettingRedirects: NotPublished,
		},
	},
	{
		Name: "stripe", Description: "Stripe webhook endpoints",
		Stores: []string{"mozilla"}, MinTLS: "TLS 1.2", SNI: SNIWith,
		ConnectTimeout: 10 * time.Second, Attempts: 1, ReadTimeout: 30 * time.Second, TotalTimeout: 30 * time.Second,
		RefusePrivate: true, Method: "POST", ContentType: "application/json",
		SignatureHeader: "Stripe-Signature", Signature: SignStripe,
		Sources: map[string]string{
			SettingRedirects: stripeWebhooks, SettingSignature: stripeSignature, SettingMethod: stripeWebhooks,
		},
	},
	{
		Name: "github", Description: "GitHub repository and organisation webhooks",
		Stores: []string{"mozilla"}, MinTLS: "TLS 1.2", SNI: SNIWith,
		ConnectTimeout: 10 * time.Second, Attempts: 1, ReadTimeout: 10 * time.Second, TotalTimeout: 10 * time.Second,
		RefusePrivate: true, Method: "POST", ContentType: "application/json",
		SignatureHeader: "X-Hub-Signature-256", Signature: SignGitHub,
		Sources: map[string]string{
			SettingRead: githubBest, SettingTotal: githubBest, SettingAttempts: githubFailed,
			SettingSignature: githubValidate, SettingMethod: githubValidate,
		},
	},
	{
		Name: "slack", Description: "Slack Events API request URLs",
		Stores: []string{"mozilla"}, MinTLS: "TLS 1.2", SNI: SNIWith,
		ConnectTimeout: 3 * time.Second, Attempts: 1, ReadTimeout: 3 * time.Second, TotalTimeout: 3 * time.Second,
		FollowCodes: []int{301, 302, 303, 307, 308}, MaxRedirects: 2, RefusePrivate: true,
		Method: "POST", ContentType: "application/json",
		SignatureHeader: "X-Slack-Signature", Signature: SignSlack,
		Sources: map[string]string{
			SettingRead: slackEvents, SettingTotal: slackEvents, SettingRedirects: slackEvents,
			SettingSignature: slackVerify, SettingMethod: slackEvents,
		},
	},
	{
		Name: "browser", Description: "a web browser (Mozilla roots, follows redirects)",
		Stores: []string{"mozilla"}, MinTLS: "TLS 1.2", SNI: SNIWith,
		ConnectTimeout: 10 * time.Second, Attempts: 1, ReadTimeout: 30 * time.Second, TotalTimeout: 30 * time.Second,
		FollowCodes: []int{301, 302, 303, 307, 308}, MaxRedirects: 20, RefusePrivate: false,
		Method: "GET",
		Sources: map[string]string{
			SettingStores: mozillaRoots, SettingRedirects: "https://fetch.spec.whatwg.org/#http-redirect-fetch",
		},
	},
}

// Profiles returns a copy of the table, the default profile first.
func Profiles() []Profile {
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		out[i] = p.clone()
	}
	return out
}

// Names lists the profiles' names, the default first.
func Names() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return names
}

// UnknownError is ByName's error for a name no profile has.
type UnknownError struct {
	// Name is the name asked for.
	Name string
}

// Error names the profile and the known ones.
func (e *UnknownError) Error() string {
	return fmt.Sprintf("%q is not a sender profile; use one of %s (certgate preflight --list-profiles describes them)", e.Name, strings.Join(Names(), ", "))
}

// ByName returns the profile called name (case-insensitive), or an
// *UnknownError.
func ByName(name string) (Profile, error) {
	for _, p := range profiles {
		if strings.EqualFold(p.Name, name) {
			return p.clone(), nil
		}
	}
	return Profile{}, &UnknownError{Name: name}
}

func (p Profile) clone() Profile {
	p.Stores = slices.Clone(p.Stores)
	p.Clients = slices.Clone(p.Clients)
	p.FollowCodes = slices.Clone(p.FollowCodes)
	p.RetryOn = slices.Clone(p.RetryOn)
	src := make(map[string]string, len(p.Sources))
	for k, v := range p.Sources {
		src[k] = v
	}
	p.Sources = src
	return p
}

// Follows reports whether the profile follows a redirect with this status.
func (p Profile) Follows(status int) bool { return slices.Contains(p.FollowCodes, status) }

// Source returns the source of a setting: its URL, or NotPublished.
func (p Profile) Source(setting string) string {
	if s, ok := p.Sources[setting]; ok && s != "" {
		return s
	}
	return NotPublished
}

// Rules lists the profile's settings in the order the table prints them.
func (p Profile) Rules() []Rule {
	clientsV := "go"
	if len(p.Clients) > 0 {
		clientsV = strings.Join(p.Clients, ",")
	}
	redirects := "none followed (any 3xx fails)"
	if len(p.FollowCodes) > 0 {
		codes := make([]string, len(p.FollowCodes))
		for i, c := range p.FollowCodes {
			codes[i] = fmt.Sprint(c)
		}
		redirects = fmt.Sprintf("%s, at most %d", strings.Join(codes, "/"), p.MaxRedirects)
	}
	private := "allowed"
	if p.RefusePrivate {
		private = "refused"
	}
	method := p.Method
	if p.ContentType != "" {
		method += " " + p.ContentType
	}
	sig := "none"
	if p.SignatureHeader != "" {
		sig = p.SignatureHeader + " " + signatureFormula(p.Signature)
	}
	sni := string(p.SNI)
	if p.SNI == SNIBoth {
		sni = "with and without"
	}
	rules := []Rule{
		{Setting: SettingStores, Value: strings.Join(p.Stores, ",")},
		{Setting: SettingClients, Value: clientsV},
		{Setting: SettingMinTLS, Value: p.MinTLS},
		{Setting: SettingSNI, Value: sni},
		{Setting: SettingConnect, Value: p.ConnectTimeout.String()},
		{Setting: SettingAttempts, Value: attempts(p)},
		{Setting: SettingRead, Value: p.ReadTimeout.String()},
		{Setting: SettingTotal, Value: p.TotalTimeout.String()},
		{Setting: SettingRedirects, Value: redirects},
		{Setting: SettingPrivate, Value: private},
		{Setting: SettingMethod, Value: method},
		{Setting: SettingSignature, Value: sig},
	}
	for i := range rules {
		rules[i].Source = p.Source(rules[i].Setting)
	}
	return rules
}

func attempts(p Profile) string {
	v := fmt.Sprintf("%d (%d %s", p.Attempts, p.Attempts-1, plural(p.Attempts-1, "retry", "retries"))
	if p.Attempts > 1 && len(p.RetryOn) > 0 {
		v += " on " + strings.Join(p.RetryOn, ",")
	}
	return v + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func signatureFormula(s Signature) string {
	switch s {
	case SignTwilio:
		return "= base64(HMAC-SHA1(secret, URL + sorted name+value pairs))"
	case SignStripe:
		return "= t=TS,v1=hex(HMAC-SHA256(secret, TS.body))"
	case SignGitHub:
		return "= sha256=hex(HMAC-SHA256(secret, body))"
	case SignSlack:
		return "= v0=hex(HMAC-SHA256(secret, v0:TS:body)) + X-Slack-Request-Timestamp"
	}
	return ""
}
