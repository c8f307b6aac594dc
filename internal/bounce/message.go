package bounce

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"
)

// Limits that keep a hostile message from costing more than a real one.
const (
	MaxMessageSize = 10 << 20 // bytes of a message the parser reads
	maxDepth       = 8        // nesting of multiparts
	maxParts       = 64       // parts of a message, all levels together
	maxTextPart    = 256 << 10
)

// part is one leaf of a MIME message with its transfer encoding undone.
type part struct {
	mediaType string
	params    map[string]string
	header    textproto.MIMEHeader
	body      []byte
}

// message is a parsed e-mail: its top-level header and its leaves. Leaves
// inside an attached message (message/rfc822, the returned original) are
// not descended into: what the original said is not what the bounce says.
type message struct {
	header mail.Header
	parts  []part
}

// readMessage parses raw leniently: a malformed header or MIME structure
// yields what could be read, never an error.
func readMessage(raw []byte) *message {
	if len(raw) > MaxMessageSize {
		raw = raw[:MaxMessageSize]
	}
	m := &message{header: mail.Header{}}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		// No parsable header: the whole input is one text body.
		m.parts = []part{{mediaType: "text/plain", body: raw}}
		return m
	}
	m.header = msg.Header
	body, _ := io.ReadAll(msg.Body)
	m.walk(textproto.MIMEHeader(msg.Header), body, 0)
	return m
}

func (m *message) walk(h textproto.MIMEHeader, body []byte, depth int) {
	if len(m.parts) >= maxParts {
		return
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt, params = "text/plain", map[string]string{}
		if ct := strings.ToLower(h.Get("Content-Type")); strings.HasPrefix(ct, "multipart/") {
			// A broken parameter list; try to recover the boundary.
			if b := boundaryRE.FindStringSubmatch(h.Get("Content-Type")); b != nil {
				mt, params = strings.SplitN(ct, ";", 2)[0], map[string]string{"boundary": b[1]}
			}
		}
	}
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxDepth {
		if mt == "multipart/report" {
			m.parts = append(m.parts, part{mediaType: mt, params: params, header: h})
		}
		parts := splitMultipart(body, params["boundary"])
		if len(parts) == 0 {
			// No delimiter at all: read the body as the text it is.
			m.parts = append(m.parts, part{mediaType: "text/plain", params: map[string]string{}, header: h, body: body})
		}
		for _, p := range parts {
			if len(m.parts) >= maxParts {
				break
			}
			m.walk(p.header, decodeTransfer(p.header.Get("Content-Transfer-Encoding"), p.body), depth+1)
		}
		return
	}
	if depth == 0 {
		body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	}
	m.parts = append(m.parts, part{mediaType: mt, params: params, header: h, body: body})
}

type rawPart struct {
	header textproto.MIMEHeader
	body   []byte
}

// splitMultipart cuts a multipart body at its boundary lines, leniently:
// bounce writers fold part headers without the leading white space, and
// some rewrite the boundary in the body but not in the header (then the
// first delimiter-like line that recurs is taken as the boundary).
func splitMultipart(body []byte, boundary string) []rawPart {
	delim := []byte("--" + boundary)
	if !bytes.HasPrefix(body, delim) && !bytes.Contains(body, append([]byte("\n"), delim...)) {
		if b := guessBoundary(body); b != "" {
			delim = []byte("--" + b)
		}
	}
	var parts []rawPart
	var cur []byte
	in := false
	flush := func() {
		if in {
			parts = append(parts, parsePart(cur))
		}
		cur = nil
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i+1], body[i+1:]
		} else {
			body = nil
		}
		if bytes.HasPrefix(line, delim) {
			rest := bytes.TrimRight(line[len(delim):], " \t\r\n")
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				flush()
				if len(rest) > 0 || len(parts) >= maxParts {
					return parts
				}
				in = true
				continue
			}
		}
		if in {
			cur = append(cur, line...)
		}
	}
	flush()
	return parts
}

// guessBoundary finds a "--token" line that occurs again as a delimiter.
func guessBoundary(body []byte) string {
	for _, line := range bytes.SplitN(body, []byte("\n"), 2000) {
		line = bytes.TrimRight(line, " \t\r")
		if len(line) > 3 && bytes.HasPrefix(line, []byte("--")) && line[2] != '-' && !bytes.ContainsAny(line, " \t") {
			b := string(bytes.TrimSuffix(line[2:], []byte("--")))
			if bytes.Count(body, []byte("--"+b)) >= 2 {
				return b
			}
		}
	}
	return ""
}

// parsePart reads a part's header up to the first empty line; a line
// with no colon continues the field before it.
func parsePart(b []byte) rawPart {
	h := textproto.MIMEHeader{}
	last := ""
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		l := strings.TrimRight(string(line), "\r\n")
		if strings.TrimSpace(l) == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if l[0] == ' ' || l[0] == '\t' || !ok || strings.ContainsAny(name, " \t=") {
			if last != "" {
				if v := h[last]; len(v) > 0 {
					v[len(v)-1] += " " + strings.TrimSpace(l)
				}
			}
			continue
		}
		last = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
		h.Add(last, strings.TrimSpace(value))
	}
	return rawPart{header: h, body: bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))}
}

var boundaryRE = regexp.MustCompile(`(?i)boundary="?([^";\s]+)"?`)

// decodeTransfer undoes a Content-Transfer-Encoding, keeping what decoded
// when the encoding is broken.
func decodeTransfer(cte string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return out
	}
	return b
}

// text returns the part's body as UTF-8 text.
func (p *part) text() string {
	b := p.body
	if len(b) > maxTextPart {
		b = b[:maxTextPart]
	}
	s := toUTF8(b, p.params["charset"])
	if p.mediaType == "text/html" {
		s = stripHTML(s)
	}
	return s
}

// toUTF8 decodes b from charset; with no charset (or a wrong one) it guesses
// among UTF-8 and the Japanese encodings bounces arrive in.
func toUTF8(b []byte, charset string) string {
	if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		if enc, err := htmlindex.Get(charset); err == nil {
			if out, err := enc.NewDecoder().Bytes(b); err == nil {
				return string(out)
			}
		}
	}
	if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) {
		if out, err := japanese.ISO2022JP.NewDecoder().Bytes(b); err == nil {
			return string(out)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	if out, err := japanese.ShiftJIS.NewDecoder().Bytes(b); err == nil && utf8.Valid(out) {
		return string(out)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// headerText decodes a header value: encoded words, or raw 8-bit text in a
// Japanese encoding.
func headerText(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	if !utf8.ValidString(v) || strings.Contains(v, "\x1b$") {
		v = toUTF8([]byte(v), "")
	}
	return v
}

var tagRE = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)

func stripHTML(s string) string {
	s = tagRE.ReplaceAllString(s, " ")
	return strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'").Replace(s)
}
