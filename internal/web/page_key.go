package web

import (
	"net/http"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/login"
)

// keyData is what the key page shows: the methods, the current key's
// state, and what the last issuance answered.
type keyData struct {
	Methods  []login.MethodOption
	State    *login.KeyState
	Issued   *login.Issued
	Chosen   string
	GroupID  string
	Digits   int
	MailFrom string
	Masked   []string
	Rows     []deliveryRow // the current key's deliveries, as the page says them
	Passkey  bool          // the account has a passkey: パスキー is offered beside SMS and e-mail
}

// deliveryRow is one message of the current key on the key page.
type deliveryRow struct {
	To, Status, Label, Advice string
}

// renderKey renders the key page in its current state with err, if any.
func (s *Server) renderKey(w http.ResponseWriter, r *http.Request, d keyData, err error) {
	ctx, token := r.Context(), flowToken(r)
	var lerr error
	if d.Methods, lerr = s.Login.Methods(ctx, token); lerr == nil {
		d.State, lerr = s.Login.KeyState(ctx, token)
	}
	if lerr != nil {
		s.render(w, r, 0, "login_id", pageData{Title: "login.title", Path: "/login", Data: loginIDData{}}, lerr)
		return
	}
	if d.Chosen == "" {
		d.Chosen = string(d.State.Method)
	}
	if d.Chosen == "" {
		for _, m := range d.Methods {
			if m.Available {
				d.Chosen = string(m.Method)
				break
			}
		}
	}
	d.Digits, d.MailFrom = s.Login.Config().KeyDigits, s.MailFrom
	if s.Passkeys != nil {
		f, _ := s.Login.Flow(ctx, token)
		d.Passkey = s.Passkeys.HasPasskey(ctx, f)
	}
	for _, dl := range d.State.Deliveries {
		d.Rows = append(d.Rows, deliveryRow{To: dl.To, Status: dl.Status, Label: s.deliveryLabel(langOf(r), dl), Advice: s.bounceAdvice(langOf(r), dl.BounceReason)})
	}
	if e := anshin.AsError(err); e != nil {
		d.Masked = e.Masked
	}
	s.render(w, r, 0, "key", pageData{Title: "key.title", Path: "/login/key", Data: d}, err)
}

func (s *Server) handleKeyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.flowAt(w, r, anshin.StepOneTimeKey) != nil {
			s.renderKey(w, r, keyData{}, nil)
		}
	})
}

// keyForm reads a form posted to the key page of a flow at that step, and
// answers (reporting false) when there is none.
func (s *Server) keyForm(w http.ResponseWriter, r *http.Request) bool {
	if s.flowAt(w, r, anshin.StepOneTimeKey) == nil {
		return false
	}
	if err := parseForm(w, r); err != nil {
		s.renderKey(w, r, keyData{}, err)
		return false
	}
	return true
}

func (s *Server) handleKeyIssue() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.keyForm(w, r) {
			return
		}
		method := r.PostForm.Get("method")
		issued, err := s.Login.IssueKey(r.Context(), flowToken(r), anshin.Method(method), langOf(r), clientIP(r))
		s.renderKey(w, r, keyData{Issued: issued, Chosen: method}, err)
	})
}

func (s *Server) handleKeyVerify() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.keyForm(w, r) {
			return
		}
		group := r.PostForm.Get("group_id")
		res, err := s.Login.Verify(r.Context(), flowToken(r), r.PostForm.Get("key"), group, clientIP(r))
		if err != nil {
			s.renderKey(w, r, keyData{GroupID: group}, err)
			return
		}
		if res.Next == anshin.StepInitialPassword {
			http.Redirect(w, r, "/login/initial-password", http.StatusSeeOther)
			return
		}
		s.signedIn(w, r, res)
	})
}
