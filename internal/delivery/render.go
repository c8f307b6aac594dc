package delivery

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/anshin/anshin/internal/anshin"
)

// keyPayload mirrors login.KeyMessage; delivery does not import login.
type keyPayload struct {
	Key       string    `json:"key"`
	ExpiresAt time.Time `json:"expires_at"`
}

var jst = time.FixedZone("JST", 9*60*60)

// Render turns a delivery and its opened payload into a message in the
// recipient's language (Japanese unless "en").
func Render(d *anshin.Delivery, payload []byte) (*Message, error) {
	m := &Message{ID: d.ID, Channel: string(d.Channel), To: d.Recipient, CreatedAt: d.CreatedAt}
	switch d.Kind {
	case "one_time_key":
		var p keyPayload
		if err := json.Unmarshal(payload, &p); err != nil || p.Key == "" {
			return nil, fmt.Errorf("delivery %s: bad key payload", d.ID)
		}
		until := p.ExpiresAt.In(jst).Format("15:04")
		mins := int(p.ExpiresAt.Sub(d.CreatedAt).Round(time.Minute) / time.Minute)
		if d.Lang == "en" {
			m.Subject = "[anshin] Your one-time key"
			m.Body = fmt.Sprintf("anshin one-time key: %s (valid %d min, until %s JST). Never share it.", p.Key, mins, until)
			if d.Channel == anshin.MethodEmail {
				m.Body = fmt.Sprintf("Your one-time key for the administrator console:\n\n    %s\n\nIt is valid for %d minutes, until %s JST, for one login only.\nIf you did not try to log in, ignore this message and tell your representative administrator.\n", p.Key, mins, until)
			}
		} else {
			m.Subject = "【anshin】ワンタイムキーのお知らせ"
			m.Body = fmt.Sprintf("anshin ワンタイムキー: %s（%d分間有効）。他人に教えないでください。", p.Key, mins)
			if d.Channel == anshin.MethodEmail {
				m.Body = fmt.Sprintf("管理画面へのログインに使うワンタイムキーをお知らせします。\n\n    %s\n\n有効期限は %s（日本時間）までの %d 分間で、1 回のログインにだけ使えます。\nお心当たりのない場合はこのメールを破棄し、代表管理者にお知らせください。\n", p.Key, until, mins)
			}
		}
	case "notification":
		var p struct{ Subject, Body string }
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, fmt.Errorf("delivery %s: bad notification payload", d.ID)
		}
		m.Subject, m.Body = p.Subject, p.Body
	default:
		return nil, fmt.Errorf("delivery %s: unknown kind %q", d.ID, d.Kind)
	}
	return m, nil
}
