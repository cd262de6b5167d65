package webhook

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// parser walks the tokens of a response. encoding/xml never resolves
// external entities; the parser also refuses any DOCTYPE, processing
// instruction other than the XML declaration, namespace, unknown element
// or attribute, and text outside <Number> and <Url>.
type parser struct {
	d    *xml.Decoder
	seen bool // a token was read: the XML declaration may only come first
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrResponse, fmt.Sprintf(format, args...))
}

// ParseResponse parses an XML steering response.
func ParseResponse(b []byte) (*Response, error) {
	if len(b) > MaxResponseSize {
		return nil, bad("longer than %d bytes", MaxResponseSize)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q: only UTF-8 is accepted", label)
	}
	p := &parser{d: d}
	root, err := p.element(true)
	if err != nil {
		return nil, err
	}
	if root == nil || root.Name.Local != "Response" {
		return nil, bad("the root element must be <Response>")
	}
	r := &Response{}
	for _, a := range root.Attr {
		if a.Name.Space != "" {
			return nil, bad("namespaced attribute %s:%s", a.Name.Space, a.Name.Local)
		}
		switch a.Name.Local {
		case "onAnswer":
			r.OnAnswer, err = checkURL("onAnswer", a.Value)
		case "onHangup":
			r.OnHangup, err = checkURL("onHangup", a.Value)
		default:
			err = bad("<Response> has no attribute %q", a.Name.Local)
		}
		if err != nil {
			return nil, err
		}
	}
	for {
		el, err := p.element(false)
		if err != nil {
			return nil, err
		}
		if el == nil {
			break
		}
		if r.Verb != nil {
			return nil, bad("more than one verb")
		}
		if r.Verb, err = p.verb(el); err != nil {
			return nil, err
		}
	}
	// Only comments and white space may follow the root.
	if el, err := p.element(true); err != nil || el != nil {
		if err != nil {
			return nil, err
		}
		return nil, bad("content after </Response>")
	}
	return r, nil
}

// element returns the next start element, or nil at the end of the
// enclosing element (or of the document when top is set).
func (p *parser) element(top bool) (*xml.StartElement, error) {
	for {
		first := !p.seen
		p.seen = true
		tok, err := p.d.Token()
		if err == io.EOF && top {
			return nil, nil
		}
		if err != nil {
			return nil, bad("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" {
				return nil, bad("namespaced element %s:%s", t.Name.Space, t.Name.Local)
			}
			return &t, nil
		case xml.EndElement:
			return nil, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, bad("unexpected text %q", truncate(string(t)))
			}
		case xml.Comment:
		case xml.ProcInst:
			if t.Target != "xml" || !first {
				return nil, bad("processing instruction <?%s?>", t.Target)
			}
		case xml.Directive:
			return nil, bad("DOCTYPE and other directives are not accepted")
		}
	}
}

// text reads the text of an element that holds nothing else.
func (p *parser) text(name string) (string, error) {
	var b strings.Builder
	for {
		tok, err := p.d.Token()
		if err != nil {
			return "", bad("%v", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.Comment:
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		default:
			return "", bad("<%s> holds text only", name)
		}
	}
}

// empty consumes an element that must have no content.
func (p *parser) empty(name string) error {
	el, err := p.element(false)
	if err != nil {
		return err
	}
	if el != nil {
		return bad("<%s> has no child elements", name)
	}
	return nil
}

func (p *parser) verb(el *xml.StartElement) (Verb, error) {
	attrs := map[string]string{}
	for _, a := range el.Attr {
		if a.Name.Space != "" {
			return nil, bad("namespaced attribute %s:%s", a.Name.Space, a.Name.Local)
		}
		attrs[a.Name.Local] = a.Value
	}
	allow := func(names ...string) error {
		for k := range attrs {
			ok := false
			for _, n := range names {
				ok = ok || k == n
			}
			if !ok {
				return bad("<%s> has no attribute %q", el.Name.Local, k)
			}
		}
		return nil
	}
	switch el.Name.Local {
	case "Dial":
		if err := allow("callerId", "anonymous"); err != nil {
			return nil, err
		}
		return p.dial(attrs)
	case "Play":
		if err := allow(); err != nil {
			return nil, err
		}
		return p.play()
	case "Gather":
		if err := allow("onData", "maxDigits", "timeout"); err != nil {
			return nil, err
		}
		return p.gather(attrs)
	case "Reject":
		if err := allow("reason"); err != nil {
			return nil, err
		}
		r := Reject{Reason: attrs["reason"]}
		switch r.Reason {
		case "":
			r.Reason = "rejected"
		case "rejected", "busy":
		default:
			return nil, bad("<Reject reason> must be rejected or busy")
		}
		return r, p.empty("Reject")
	case "Hangup":
		if err := allow(); err != nil {
			return nil, err
		}
		return Hangup{}, p.empty("Hangup")
	}
	return nil, bad("unknown verb <%s>", el.Name.Local)
}

func (p *parser) dial(attrs map[string]string) (Verb, error) {
	d := Dial{}
	if v, ok := attrs["callerId"]; ok {
		n, ok := number(v)
		if !ok && v != "anonymous" {
			return nil, bad("<Dial callerId> must be a number")
		}
		d.CallerID = n
		if v == "anonymous" {
			d.CallerID, d.Anonymous = "", true
		}
	}
	switch attrs["anonymous"] {
	case "", "false":
	case "true":
		d.Anonymous = true
	default:
		return nil, bad("<Dial anonymous> must be true or false")
	}
	for {
		el, err := p.element(false)
		if err != nil {
			return nil, err
		}
		if el == nil {
			break
		}
		if len(el.Attr) > 0 {
			return nil, bad("<%s> has no attributes", el.Name.Local)
		}
		switch el.Name.Local {
		case "Number":
			t, err := p.text("Number")
			if err != nil {
				return nil, err
			}
			n, ok := number(t)
			if !ok {
				return nil, bad("<Number> %q is not a telephone number", truncate(t))
			}
			d.Numbers = append(d.Numbers, n)
		case "Voicemail":
			if err := p.empty("Voicemail"); err != nil {
				return nil, err
			}
			if d.Voicemail {
				return nil, bad("<Voicemail/> twice")
			}
			d.Voicemail = true
		default:
			return nil, bad("<Dial> holds <Number> or <Voicemail/>, not <%s>", el.Name.Local)
		}
	}
	switch {
	case d.Voicemail && len(d.Numbers) > 0:
		return nil, bad("<Dial> holds numbers or the voicemail, not both")
	case !d.Voicemail && len(d.Numbers) == 0:
		return nil, bad("<Dial> needs a <Number> or <Voicemail/>")
	case len(d.Numbers) > MaxDialNumbers:
		return nil, bad("<Dial> rings at most %d numbers", MaxDialNumbers)
	}
	return d, nil
}

func (p *parser) play() (Verb, error) {
	var pl *Play
	for {
		el, err := p.element(false)
		if err != nil {
			return nil, err
		}
		if el == nil {
			break
		}
		if el.Name.Local != "Url" || len(el.Attr) > 0 || pl != nil {
			return nil, bad("<Play> holds exactly one <Url>")
		}
		t, err := p.text("Url")
		if err != nil {
			return nil, err
		}
		u, err := checkURL("Url", t)
		if err != nil {
			return nil, err
		}
		pl = &Play{URL: u}
	}
	if pl == nil {
		return nil, bad("<Play> needs a <Url>")
	}
	return *pl, nil
}

func (p *parser) gather(attrs map[string]string) (Verb, error) {
	onData, err := checkURL("onData", attrs["onData"])
	if err != nil {
		return nil, err
	}
	g := Gather{OnData: onData, MaxDigits: 1, Timeout: defaultWait}
	if v, ok := attrs["maxDigits"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxGatherDigits {
			return nil, bad("<Gather maxDigits> must be 1 to %d", maxGatherDigits)
		}
		g.MaxDigits = n
	}
	if v, ok := attrs["timeout"]; ok {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 1 || time.Duration(ms)*time.Millisecond > maxGatherWait {
			return nil, bad("<Gather timeout> must be 1 to %d milliseconds", maxGatherWait.Milliseconds())
		}
		g.Timeout = time.Duration(ms) * time.Millisecond
	}
	for {
		el, err := p.element(false)
		if err != nil {
			return nil, err
		}
		if el == nil {
			break
		}
		if el.Name.Local != "Play" || len(el.Attr) > 0 || g.Play != nil {
			return nil, bad("<Gather> holds at most one <Play>")
		}
		v, err := p.play()
		if err != nil {
			return nil, err
		}
		pl := v.(Play)
		g.Play = &pl
	}
	return g, nil
}

// checkURL accepts an absolute http(s) URL. Whether its host may be
// reached is the client's decision, at connect time.
func checkURL(name, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", bad("%s is empty", name)
	}
	if len(v) > maxURLLength {
		return "", bad("%s is longer than %d characters", name, maxURLLength)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", bad("%s is not an http(s) URL", name)
	}
	return v, nil
}

// number accepts E.164 digits with an optional '+', or an extension:
// 2 to 20 digits. It returns the digits.
func number(v string) (string, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "+")
	if len(v) < 2 || len(v) > 20 {
		return "", false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return v, true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
