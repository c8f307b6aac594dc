package web

import (
	"fmt"
	"strings"

	"github.com/anshin/anshin/internal/console"
)

// auditLines says an audit event's details as sentences of the page's
// language (locale texts audit.say.*), never as raw detail keys: what an
// administrator reads in the log is what happened, not how it is stored.
func auditLines(cat *Catalog, lang string, e console.AuditEntry) []string {
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
	list := func(k string) string {
		vs, _ := e.Detail[k].([]any)
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			out = append(out, fmt.Sprint(v))
		}
		return strings.Join(out, ", ")
	}
	who := func() string {
		if n := str("name"); n != "" {
			return cat.T(lang, "audit.say.who", "name", n, "id", str("login_id"))
		}
		return str("login_id")
	}
	reason := func() string {
		r := str("reason")
		if r == "" {
			r = "other"
		}
		if cat.Has("bounce.reason." + r) {
			return cat.T(lang, "bounce.reason."+r)
		}
		return r
	}
	say := func(key string, pairs ...string) string { return cat.T(lang, "audit.say."+key, pairs...) }
	var out []string
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
			out = append(out, say("delivery", "to", d["to"], "status", cat.T(lang, "key.status."+d["status"])))
		}
	case "group_switched":
		out = append(out, say("group_switched", "from", str("from"), "to", str("to")))
		if e.Detail["initial_password_required"] == true {
			out = append(out, say("group_switched.initial"))
		}
	case "admin_added":
		out = append(out, say("admin_added", "who", who(), "role", cat.T(lang, "role."+str("role"))))
		if m := str("email"); m != "" {
			out = append(out, say("email", "email", m))
		}
	case "admin_updated":
		out = append(out, say("admin_updated", "who", who()))
		if old, now := str("old_email"), str("email"); old != now {
			switch {
			case old == "":
				out = append(out, say("email_set", "new", now))
			case now == "":
				out = append(out, say("email_unset", "old", old))
			default:
				out = append(out, say("email_changed", "old", old, "new", now))
			}
		}
	case "admin_deleted":
		out = append(out, say("admin_deleted", "who", who()))
	case "initial_password_reset", "operator_put_account":
		out = append(out, say(e.Kind, "id", str("login_id")))
	case "mail_state_cleared":
		addr := list("addresses")
		if addr == "" {
			addr = str("address")
		}
		out = append(out, say("mail_state_cleared", "address", addr, "id", str("login_id")))
	case "clomo_created", "clomo_updated", "operator_put_clomo":
		out = append(out, say("clomo", "org", str("organization_name")))
		if tz := str("time_zone"); tz != "" {
			out = append(out, say("time_zone", "zone", tz))
		}
	case "mail_bounced", "mail_disabled", "operator_mail_disabled":
		out = append(out, say(e.Kind, "address", str("address"), "reason", reason()))
	case "operator_put_group":
		out = append(out, say("operator_put_group", "number", str("management_number")))
	case "operator_put_admin":
		out = append(out, say("operator_put_admin", "id", str("login_id"), "role", cat.T(lang, "role."+str("role"))))
	}
	return out
}
