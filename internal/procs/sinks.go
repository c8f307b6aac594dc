// Package procs holds what the programs that drive the real anshin binary
// share (cmd/anshin-torture, cmd/anshin-bench): a real SMTP sink and an
// SMS gateway stand-in that hand out the keys they receive, and readings
// of a process's CPU time and memory from /proc.
package procs

import (
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message a sink took: e-mail through SMTP, SMS through
// the webhook driver's POST.
type Received struct {
	At        time.Time
	To        string
	MessageID string // Message-ID (e-mail), message_id (webhook)
	Key       string // the one-time key in it, if any
}

// KeyBox holds what the sinks received and hands keys to whoever waits
// for a recipient's next one.
type KeyBox struct {
	mu    sync.Mutex
	all   []Received
	queue map[string]chan string
	byID  map[string]string // delivery ID → key
}

func NewKeyBox() *KeyBox { return &KeyBox{queue: map[string]chan string{}, byID: map[string]string{}} }

// deliveryID is the delivery a Message-ID names (<id.time@domain>).
func deliveryID(messageID string) string {
	id, _, _ := strings.Cut(strings.Trim(messageID, "<>"), ".")
	return id
}

// KeyOf waits for the key of one delivery; "" after timeout.
func (b *KeyBox) KeyOf(id string, timeout time.Duration) string {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b.mu.Lock()
		k := b.byID[id]
		b.mu.Unlock()
		if k != "" {
			return k
		}
	}
	return ""
}

func (b *KeyBox) ch(to string) chan string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.queue[to]
	if c == nil {
		c = make(chan string, 1024)
		b.queue[to] = c
	}
	return c
}

func (b *KeyBox) Add(m Received) {
	b.mu.Lock()
	b.all = append(b.all, m)
	if m.Key != "" && m.MessageID != "" {
		b.byID[deliveryID(m.MessageID)] = m.Key
	}
	b.mu.Unlock()
	if m.Key != "" {
		select {
		case b.ch(m.To) <- m.Key:
		default:
		}
	}
}

// Next waits for to's next key; "" after timeout.
func (b *KeyBox) Next(to string, timeout time.Duration) string {
	select {
	case k := <-b.ch(to):
		return k
	case <-time.After(timeout):
		return ""
	}
}

// Drain forgets the keys waiting for to.
func (b *KeyBox) Drain(to string) {
	c := b.ch(to)
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func (b *KeyBox) Messages() []Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Received(nil), b.all...)
}

var (
	keyInText = regexp.MustCompile(`(?:^|[^0-9])([0-9]{6,12})(?:[^0-9]|$)`)
	// keyInMail: the key stands alone on an indented line of the text part
	// (internal/delivery/templates); boundaries may hold digits too.
	keyInMail = regexp.MustCompile(`(?m)^ {4}([0-9]{6,12})\r?$`)
)

// MailSink is a real SMTP server (go-smtp) that accepts everything; with
// hold set, it waits that long after the data before answering 250, so
// a sender can die while the message is in the server's hands.
type MailSink struct {
	Addr string
	box  *KeyBox
	srv  *smtp.Server
	mu   sync.Mutex
	hold time.Duration
}

func NewMailSink(box *KeyBox) (*MailSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &MailSink{Addr: ln.Addr().String(), box: box}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxRecipients = 100
	go s.srv.Serve(ln)
	return s, nil
}

// SetHold makes the sink wait d after each message's data before it answers.
func (s *MailSink) SetHold(d time.Duration) { s.mu.Lock(); s.hold = d; s.mu.Unlock() }

// Close stops the server.
func (s *MailSink) Close() { s.srv.Close() }

func (s *MailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct {
	sink *MailSink
	to   []string
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.sink.mu.Lock()
	hold := ss.sink.hold
	ss.sink.mu.Unlock()
	// The message is the server's once the data is in: a real MTA
	// commits it to its queue, then answers. The sender may die between.
	text := string(b)
	head, body, _ := strings.Cut(text, "\r\n\r\n")
	id := ""
	for _, l := range strings.Split(head, "\r\n") {
		if v, ok := strings.CutPrefix(strings.ToLower(l), "message-id:"); ok {
			id = strings.TrimSpace(v)
		}
	}
	decoded, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	key := ""
	if m := keyInMail.FindStringSubmatch(string(decoded)); m != nil {
		key = m[1]
	}
	for _, to := range ss.to {
		ss.sink.box.Add(Received{At: time.Now(), To: to, MessageID: id, Key: key})
	}
	if hold > 0 {
		time.Sleep(hold)
	}
	return nil
}

// SMSSink is the gateway the webhook SMS driver posts to.
type SMSSink struct {
	URL string
	box *KeyBox
	srv *http.Server
}

func NewSMSSink(box *KeyBox) (*SMSSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SMSSink{URL: "http://" + ln.Addr().String() + "/sms", box: box}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			To        string `json:"to"`
			Body      string `json:"body"`
			MessageID string `json:"message_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		key := ""
		if k := keyInText.FindStringSubmatch(m.Body); k != nil {
			key = k[1]
		}
		box.Add(Received{At: time.Now(), To: m.To, MessageID: m.MessageID, Key: key})
		w.WriteHeader(http.StatusAccepted)
	})}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the gateway.
func (s *SMSSink) Close() { s.srv.Close() }

// Env points an instance's SMS at the sink.
func (s *SMSSink) Env() []string {
	return []string{"ANSHIN_SMS_DRIVER", "webhook", "ANSHIN_SMS_WEBHOOK_URL", s.URL, "ANSHIN_SMS_WEBHOOK_SECRET", "torture-webhook-secret-0123"}
}
