package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/anshin/anshin/internal/console"
)

// auditLines says an audit event's details as sentences of the page's
// language (locale texts audit.say.*), never as raw detail keys: what an
// administrator reads in the log is what happened, not how it is stored.
// Addresses, numbers and IDs in them are tokens that never break.
func auditLines(cat *Catalog, lang string, e console.AuditEntry) []template.HTML {
	str := func(k string) string {
		switch v := e.Detail[k].(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	list := func(k string) template.HTML {
		vs, _ := e.Detail[k].([]any)
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			out = append(out, `<span class="token">`+template.HTMLEscapeString(fmt.Sprint(v))+`</span>`)
		}
		return template.HTML(strings.Join(out, ", "))
	}
	tok := func(v string) template.HTML {
		return template.HTML(`<span class="token">` + template.HTMLEscapeString(v) + `</span>`)
	}
	txt := func(v string) template.HTML { return template.HTML(template.HTMLEscapeString(v)) }
	// say fills the text of key with values already made HTML.
	say := func(key string, pairs ...any) template.HTML {
		out := template.HTMLEscapeString(cat.T(lang, "audit.say."+key))
		for i := 0; i+1 < len(pairs); i += 2 {
			out = strings.ReplaceAll(out, "{"+pairs[i].(string)+"}", string(pairs[i+1].(template.HTML)))
		}
		return template.HTML(out)
	}
	who := func() template.HTML {
		if n := str("name"); n != "" {
			return say("who", "name", txt(n), "id", tok(str("login_id")))
		}
		return tok(str("login_id"))
	}
	reason := func() template.HTML {
		r := str("reason")
		if r == "" {
			r = "other"
		}
		if cat.Has("bounce.reason." + r) {
			return txt(cat.T(lang, "bounce.reason."+r))
		}
		return txt(r)
	}
	var out []template.HTML
	switch e.Kind {
	case "key_issued":
		by := say("by." + str("method"))
		if dest := list("sent_to"); dest != "" {
			out = append(out, say("key_issued", "by", by, "dest", dest))
		} else {
			out = append(out, say("key_issued.bare", "by", by))
		}
		ds, _ := e.Detail["deliveries"].([]map[string]string)
		for _, d := range ds {
			out = append(out, say("delivery", "to", tok(d["to"]), "status", txt(cat.T(lang, "key.status."+d["status"]))))
		}
	case "group_switched":
		out = append(out, say("group_switched", "from", tok(str("from")), "to", tok(str("to"))))
		if e.Detail["initial_password_required"] == true {
			out = append(out, say("group_switched.initial"))
		}
	case "admin_added":
		out = append(out, say("admin_added", "who", who(), "role", txt(cat.T(lang, "role."+str("role")))))
		if m := str("email"); m != "" {
			out = append(out, say("email", "email", tok(m)))
		}
	case "admin_updated":
		out = append(out, say("admin_updated", "who", who()))
		if old, now := str("old_email"), str("email"); old != now {
			switch {
			case old == "":
				out = append(out, say("email_set", "new", tok(now)))
			case now == "":
				out = append(out, say("email_unset", "old", tok(old)))
			default:
				out = append(out, say("email_changed", "old", tok(old), "new", tok(now)))
			}
		}
	case "admin_deleted":
		out = append(out, say("admin_deleted", "who", who()))
	case "initial_password_reset", "operator_put_account":
		out = append(out, say(e.Kind, "id", tok(str("login_id"))))
	case "mail_state_cleared":
		addr := list("addresses")
		if addr == "" {
			addr = tok(str("address"))
		}
		out = append(out, say("mail_state_cleared", "address", addr, "id", tok(str("login_id"))))
	case "clomo_created", "clomo_updated", "operator_put_clomo":
		out = append(out, say("clomo", "org", txt(str("organization_name"))))
		if tz := str("time_zone"); tz != "" {
			out = append(out, say("time_zone", "zone", tok(tz)))
		}
	case "mail_bounced", "mail_disabled", "operator_mail_disabled":
		out = append(out, say(e.Kind, "address", tok(str("address")), "reason", reason()))
	case "operator_put_group":
		out = append(out, say("operator_put_group", "number", tok(str("management_number"))))
	case "operator_put_admin":
		out = append(out, say("operator_put_admin", "id", tok(str("login_id")), "role", txt(cat.T(lang, "role."+str("role")))))
	}
	return out
}
