package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/anshin/anshin/internal/anshin"
	"github.com/anshin/anshin/internal/console"
	"github.com/anshin/anshin/internal/login"
)

type auditData struct {
	Filter console.AuditFilter
	Kinds  []string
	Page   console.AuditPage
	Next   string // link to the next (older) page, empty on the last
}

func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request, si *login.SignedIn, a console.Actor) {
	d := pageData{Title: "audit.title", SignedIn: si}
	f, err := auditFilter(r)
	ad := auditData{Filter: f, Kinds: anshin.AuditKinds}
	if err == nil {
		ad.Page, err = s.Console.Audit(r.Context(), a, f)
	}
	if ad.Page.NextBefore > 0 {
		q := url.Values{}
		for k, v := range map[string]string{"kind": f.Kind, "from": f.From, "to": f.To} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if f.Limit > 0 {
			q.Set("limit", strconv.Itoa(f.Limit))
		}
		q.Set("before", strconv.FormatInt(ad.Page.NextBefore, 10))
		ad.Next = "/console/audit?" + q.Encode()
	}
	d.Data = ad
	s.render(w, r, 0, "audit", d, err)
}
