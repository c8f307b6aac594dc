package delivery

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/anshin/anshin/internal/anshin"
)

//go:embed templates
var templateFiles embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/*.html"))
)

// SMSMaxUCS2 is what one SMS holds in UCS-2, the encoding Japanese text
// needs: a longer text is split and billed as several messages.
const SMSMaxUCS2 = 70

// SMSMaxGSM7 is what one SMS holds in the GSM 7-bit alphabet, enough for
// the English text (ASCII letters, digits, "@" and "#").
const SMSMaxGSM7 = 160

// Render turns a delivery and its opened payload into a message in the
// recipient's language (Japanese unless "en"). E-mail gets a text and an
// HTML part from the embedded templates; SMS a single short text.
func Render(d *anshin.Delivery, payload []byte) (*Message, error) {
	return RenderFor(d, payload, "")
}

// RenderFor is Render for a site at host (the host of ANSHIN_PUBLIC_URL):
// the key SMS then ends with the origin-bound code line, "@host #key", so
// that a phone offers the key to that site alone (WebOTP, iOS autofill).
func RenderFor(d *anshin.Delivery, payload []byte, host string) (*Message, error) {
	lang := "ja"
	if d.Lang == "en" {
		lang = "en"
	}
	m := &Message{ID: d.ID, Channel: string(d.Channel), To: d.Recipient, Lang: lang, CreatedAt: d.CreatedAt}
	switch d.Kind {
	case anshin.DeliveryKindKey:
		var p anshin.KeyPayload
		if err := json.Unmarshal(payload, &p); err != nil || p.Key == "" {
			return nil, fmt.Errorf("delivery %s: bad key payload", d.ID)
		}
		v := struct {
			Key, Until string
			Minutes    int
			Groups     []string
		}{p.Key, p.ExpiresAt.In(anshin.JapanTime).Format("15:04"), int(p.ExpiresAt.Sub(d.CreatedAt).Round(time.Minute) / time.Minute), p.Groups}
		if d.Channel == anshin.MethodSMS {
			m.Body = keySMS(lang, v.Key, v.Minutes, v.Until, host)
			return m, nil
		}
		m.Subject = "【anshin】ワンタイムキーのお知らせ"
		if lang == "en" {
			m.Subject = "[anshin] Your one-time key"
		}
		var err error
		if m.Body, m.HTML, err = execute("key."+lang, v); err != nil {
			return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
		}
	case anshin.DeliveryKindNotification:
		var p anshin.NotificationPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, fmt.Errorf("delivery %s: bad notification payload", d.ID)
		}
		m.Subject, m.Body = p.Subject, p.Body
		if d.Channel == anshin.MethodEmail {
			var b bytes.Buffer
			v := struct {
				Lang, Subject string
				Paragraphs    []string
			}{lang, p.Subject, strings.Split(strings.TrimSpace(p.Body), "\n\n")}
			if err := htmlTemplates.ExecuteTemplate(&b, "notification.html", v); err != nil {
				return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
			}
			m.HTML = b.String()
		}
	default:
		return nil, fmt.Errorf("delivery %s: unknown kind %q", d.ID, d.Kind)
	}
	return m, nil
}

// keySMS is the key's SMS: one message (SMSMaxUCS2 characters) always.
// With host it ends with the origin-bound line; the text shortens to make
// room for it, and a host too long for even the short text goes without.
func keySMS(lang, key string, minutes int, until, host string) string {
	full := fmt.Sprintf("anshin ワンタイムキー %s（%d分間有効）他人に教えないでください", key, minutes)
	short := fmt.Sprintf("anshin ワンタイムキー %s（%d分間有効）", key, minutes)
	bare := fmt.Sprintf("ワンタイムキー（%d分間有効）", minutes) // the line below carries the key
	limit := SMSMaxUCS2
	if lang == "en" {
		full = fmt.Sprintf("anshin one-time key: %s (valid %d min, until %s JST). Never share it.", key, minutes, until)
		short = fmt.Sprintf("anshin one-time key: %s (valid %d min)", key, minutes)
		bare = fmt.Sprintf("One-time key (valid %d min)", minutes)
		limit = SMSMaxGSM7
	}
	if host == "" {
		return full
	}
	line := "\n\n@" + host + " #" + key
	for _, body := range []string{full, short, bare} {
		if utf8.RuneCountInString(body+line) <= limit {
			return body + line
		}
	}
	return full
}

func execute(name string, v any) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&t, name+".txt", v); err != nil {
		return "", "", err
	}
	if err := htmlTemplates.ExecuteTemplate(&h, name+".html", v); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}
