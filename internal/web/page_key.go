package web

import (
	"net/http"
	"slices"
	"time"

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
	SentTo   []string      // where the current key went, also after a failed entry
	Key      string        // what was typed, kept when the key is still good
	// Usable tells whether any method can issue a key; Wait is how many
	// seconds until one may be issued again (0: now), WaitUntil when.
	Usable    bool
	Wait      int
	WaitUntil string
	Passkey   bool // the account has a passkey: パスキー is offered beside SMS and e-mail
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
	d.Chosen = chooseMethod(d.Methods, d.Chosen, string(d.State.Method))
	d.Usable = d.Chosen != ""
	if wait := d.State.NextIssueAt.Sub(s.now()); wait > 0 {
		d.Wait = int((wait + time.Second - 1) / time.Second)
		d.WaitUntil = formatRetry(langOf(r), d.State.NextIssueAt, s.now())
	}
	if d.GroupID == "" {
		d.GroupID = lastGroup(r, d.State.Groups)
	}
	d.Digits, d.MailFrom = s.Login.Config().KeyDigits, s.MailFrom
	if s.Passkeys != nil {
		f, _ := s.Login.Flow(ctx, token)
		d.Passkey = s.Passkeys.HasPasskey(ctx, f)
	}
	for _, dl := range d.State.Deliveries {
		d.Rows = append(d.Rows, deliveryRow{To: dl.To, Status: dl.Status, Label: s.deliveryLabel(langOf(r), dl), Advice: s.bounceAdvice(langOf(r), dl.BounceReason)})
		if !slices.Contains(d.SentTo, dl.To) {
			d.SentTo = append(d.SentTo, dl.To)
		}
	}
	if d.Issued != nil && len(d.Issued.SentTo) > 0 {
		d.SentTo = d.Issued.SentTo
	}
	if e := anshin.AsError(err); e != nil {
		d.Masked = e.Masked
	}
	s.render(w, r, 0, "key", pageData{Title: "key.title", Path: "/login/key", Data: d}, err)
}

// chooseMethod is the method the page preselects: the one asked for, else
// the one used last, else the first that works; never one that cannot be
// used, and none when none works.
func chooseMethod(methods []login.MethodOption, wanted ...string) string {
	for _, w := range wanted {
		for _, m := range methods {
			if m.Available && string(m.Method) == w {
				return w
			}
		}
	}
	for _, m := range methods {
		if m.Available {
			return string(m.Method)
		}
	}
	return ""
}

// lastGroup is the group the browser signed in to last, when it is among
// the choices: most administrators manage the same group each time.
func lastGroup(r *http.Request, groups []login.GroupOption) string {
	c, err := readCookie(r, cookieGroup)
	if err != nil {
		return ""
	}
	for _, g := range groups {
		if g.GroupID == c.Value {
			return g.GroupID
		}
	}
	return ""
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
			d := keyData{GroupID: group}
			if e := anshin.AsError(err); e != nil && (e.Field == "group_id" || e.Code == anshin.ECodeGroupNotAllowed || e.Code == anshin.ECodeKeyNotForGroup) {
				d.Key = r.PostForm.Get("key") // still good: only the group was wrong
			}
			s.renderKey(w, r, d, err)
			return
		}
		if res.Next == anshin.StepInitialPassword {
			http.Redirect(w, r, "/login/initial-password", http.StatusSeeOther)
			return
		}
		s.signedIn(w, r, res)
	})
}
