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

// Render turns a delivery and its opened payload into a message in the
// recipient's language (Japanese unless "en"). E-mail gets a text and an
// HTML part from the embedded templates; SMS a single short text.
func Render(d *anshin.Delivery, payload []byte) (*Message, error) {
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
			if lang == "en" {
				m.Body = fmt.Sprintf("anshin one-time key: %s (valid %d min, until %s JST). Never share it.", v.Key, v.Minutes, v.Until)
			} else {
				m.Body = fmt.Sprintf("anshin ワンタイムキー %s（%d分間有効）他人に教えないでください", v.Key, v.Minutes)
			}
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
