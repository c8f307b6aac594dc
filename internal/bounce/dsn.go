package bounce

import (
	"strings"
)

// dsnRecipient is one per-recipient group of a message/delivery-status
// part (RFC 3464 §2.3).
type dsnRecipient struct {
	final, original, action, status, diagnostic string
}

// parseDeliveryStatus reads the groups of header fields of a
// delivery-status body: the first is per message, each further one is per
// recipient. Unknown fields and malformed lines are ignored.
func parseDeliveryStatus(body string) []dsnRecipient {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var groups []map[string]string
	cur := map[string]string{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur, last = map[string]string{}, ""
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			if len(groups) > maxRecipients {
				break
			}
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cur[last] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if key := strings.ToLower(strings.TrimSpace(name)); key == "final-recipient" && cur[key] != "" {
			// The next recipient's group with no blank line before it.
			flush()
		}
		last = strings.ToLower(strings.TrimSpace(name))
		if _, seen := cur[last]; !seen {
			cur[last] = strings.TrimSpace(value)
		}
	}
	flush()
	var out []dsnRecipient
	for _, g := range groups {
		r := dsnRecipient{
			final:      dsnAddress(g["final-recipient"]),
			original:   dsnAddress(g["original-recipient"]),
			action:     strings.ToLower(g["action"]),
			status:     enhancedStatus(g["status"]),
			diagnostic: dsnDiagnostic(g["diagnostic-code"]),
		}
		if r.final == "" && r.original == "" && r.action == "" && r.status == "" {
			continue // the per-message group, or noise
		}
		out = append(out, r)
	}
	return out
}

// dsnAddress strips the address type: "rfc822; a@b" → "a@b".
func dsnAddress(v string) string {
	if t, a, ok := strings.Cut(v, ";"); ok && !strings.Contains(t, "@") {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if v == "" {
		return ""
	}
	return strings.ToLower(decodeXtext(v))
}

// dsnDiagnostic strips the diagnostic type: "smtp; 550 …" → "550 …".
func dsnDiagnostic(v string) string {
	if t, d, ok := strings.Cut(v, ";"); ok && len(t) < 16 && !strings.Contains(t, " ") {
		return strings.TrimSpace(d)
	}
	return v
}

// decodeXtext undoes the +XX escapes of RFC 3461 xtext (utf-8-addr-xtext
// and ORCPT use them).
func decodeXtext(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
