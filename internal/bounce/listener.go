package bounce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/emersion/go-smtp"
)

// Listener is anshin's bounce SMTP receiver: the MTA of the bounce domain
// relays what arrives for VERP return paths to it. It accepts mail only
// for return paths whose signature verifies, refusing everything else at
// RCPT, and applies each message through the Handler.
type Listener struct {
	Handler  *Handler
	Log      *slog.Logger
	Domain   string // greeting name
	MaxBytes int64  // largest message accepted (SIZE)
	MaxConns int    // connections served at once; more wait in the kernel's backlog
	// MaxConnsPerClient caps the connections one client address (an IPv6
	// /64) holds at once; the next gets 421 and is closed, so one client
	// cannot take all MaxConns. 0: no cap.
	MaxConnsPerClient int
	// SessionTimeout ends a connection this long after it was accepted,
	// however it trickles: Timeout bounds each command, this the whole
	// session. 0: no limit.
	SessionTimeout time.Duration
	Timeout        time.Duration // for each command and reply

	mu  sync.Mutex
	srv *smtp.Server
	ln  *limitListener
}

// Serve answers SMTP on ln until Shutdown.
func (l *Listener) Serve(ln net.Listener) error {
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{l: l, peer: c.Conn().RemoteAddr().String()}, nil
	}))
	s.Domain = l.Domain
	s.MaxMessageBytes = l.MaxBytes
	s.MaxRecipients = 50
	s.MaxLineLength = 4000
	s.ReadTimeout, s.WriteTimeout = l.Timeout, l.Timeout
	s.ErrorLog = slogAdapter{l.Log}
	lim := &limitListener{Listener: ln, sem: make(chan struct{}, max(1, l.MaxConns)), perClient: l.MaxConnsPerClient,
		sessionTimeout: l.SessionTimeout, log: l.Log, conns: map[*limitConn]bool{}, clients: map[string]int{}, closed: make(chan struct{})}
	l.mu.Lock()
	l.srv, l.ln = s, lim
	l.mu.Unlock()
	err := s.Serve(lim)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for the sessions under way; when ctx
// ends first, it closes the connections still open.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	s, lim := l.srv, l.ln
	l.mu.Unlock()
	if s == nil {
		return nil
	}
	err := s.Shutdown(ctx)
	if err != nil {
		lim.closeAll()
	}
	return err
}

type session struct {
	l     *Listener
	peer  string
	rcpts []string // verified VERP return paths
}

func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, err := s.l.Handler.Verify(to); err != nil {
		s.l.Log.Warn("bounce smtp: recipient refused", "rcpt", anshin.MaskText(to), "peer", s.peer)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such bounce address"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // too large: go-smtp answers 552
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, rcpt := range s.rcpts {
		if _, err := s.l.Handler.Message(ctx, rcpt, raw); err != nil && !errors.Is(err, ErrForged) {
			s.l.Log.Error("bounce smtp: applying failed", "rcpt", rcpt, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
	}
	return nil
}

// limitListener serves at most cap(sem) connections at once, at most
// perClient of them to one client, each for at most sessionTimeout, and
// can close those it handed out.
type limitListener struct {
	net.Listener
	sem            chan struct{}
	perClient      int
	sessionTimeout time.Duration
	log            *slog.Logger
	closed         chan struct{}
	once           sync.Once
	mu             sync.Mutex
	conns          map[*limitConn]bool
	clients        map[string]int // open connections per clientKey
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		select {
		case l.sem <- struct{}{}:
		case <-l.closed:
			return nil, net.ErrClosed
		}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.sem
			return nil, err
		}
		client := clientKey(c.RemoteAddr())
		lc := &limitConn{Conn: c}
		if l.sessionTimeout > 0 {
			// Closing the connection under go-smtp ends its read or write;
			// the session then closes lc, which releases the slot.
			lc.timer = time.AfterFunc(l.sessionTimeout, func() {
				l.log.Warn("bounce smtp: session time limit reached, closing", "peer", c.RemoteAddr().String())
				c.Close()
			})
		}
		lc.release = sync.OnceFunc(func() {
			if lc.timer != nil {
				lc.timer.Stop()
			}
			l.mu.Lock()
			delete(l.conns, lc)
			if l.clients[client]--; l.clients[client] <= 0 {
				delete(l.clients, client)
			}
			l.mu.Unlock()
			<-l.sem
		})
		l.mu.Lock()
		if l.perClient > 0 && l.clients[client] >= l.perClient {
			l.mu.Unlock()
			<-l.sem
			if lc.timer != nil {
				lc.timer.Stop()
			}
			l.refuse(c)
			continue
		}
		l.clients[client]++
		l.conns[lc] = true
		l.mu.Unlock()
		return lc, nil
	}
}

// refuse answers a connection over the per-client cap with 421, as RFC
// 5321 §3.8 has a busy server do, and closes it. The greeting is one
// short write into an empty socket buffer; the deadline is for a peer
// that does not read at all.
func (l *limitListener) refuse(c net.Conn) {
	l.log.Debug("bounce smtp: too many connections from one client", "peer", c.RemoteAddr().String())
	c.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(c, "421 4.7.0 Too many connections from your address, try again later\r\n")
	c.Close()
}

// clientKey is what the per-client cap counts by: the IP address, or for
// IPv6 its /64, which one client usually has whole.
func clientKey(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return ta.IP.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *limitListener) closeAll() {
	l.mu.Lock()
	list := make([]*limitConn, 0, len(l.conns))
	for c := range l.conns {
		list = append(list, c)
	}
	l.mu.Unlock()
	for _, c := range list {
		c.Close()
	}
}

type limitConn struct {
	net.Conn
	timer   *time.Timer // the session time limit, or nil
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) {
	a.l.Warn("bounce smtp", "msg", strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (a slogAdapter) Println(v ...any) {
	var b bytes.Buffer
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fmt.Sprintf("%v", x))
	}
	a.l.Warn("bounce smtp", "msg", b.String())
}
