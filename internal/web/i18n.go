package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/anshin/anshin/internal/anshin"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFiles embed.FS

// langs are the supported languages, the default first.
var langs = []string{"ja", "en"}

var langMatcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// Catalog holds the UI text of every language.
type Catalog struct {
	text map[string]map[string]string
}

// LoadCatalog reads the embedded locale files and checks that every
// language has the same keys, so a missing translation fails at start.
func LoadCatalog() (*Catalog, error) {
	c := &Catalog{text: map[string]map[string]string{}}
	for _, l := range langs {
		b, err := localeFiles.ReadFile("locales/" + l + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("locale %s: %w", l, err)
		}
		c.text[l] = m
	}
	for k := range c.text["ja"] {
		if _, ok := c.text["en"][k]; !ok {
			return nil, fmt.Errorf("locale en: missing %q", k)
		}
	}
	for k := range c.text["en"] {
		if _, ok := c.text["ja"][k]; !ok {
			return nil, fmt.Errorf("locale ja: missing %q", k)
		}
	}
	return c, nil
}

// T returns the text of key in lang with {name} placeholders filled from
// pairs of name, value.
func (c *Catalog) T(lang, key string, pairs ...string) string {
	s, ok := c.text[lang][key]
	if !ok {
		s, ok = c.text["ja"][key]
	}
	if !ok {
		return key
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.text["ja"][key]
	return ok
}

// Error is the one text of an error, the first of:
//
//   - console.err.missing.<field> for a required field left empty;
//   - console.err.<code>.<field> on the console's pages and API (the same
//     field means another thing there: login_id is whom to add, not who
//     signs in);
//   - field.<field>, for invalid_field: what to enter;
//   - error.<code>.
//
// The retry time follows when there is one, and with key_not_for_group
// the destinations whose key opens the group.
func (c *Catalog) Error(lang string, e *anshin.Error, console bool, now time.Time) string {
	var msg string
	switch {
	case console && e.Missing && c.Has("console.err.missing."+e.Field):
		msg = c.T(lang, "console.err.missing."+e.Field)
	case console && e.Field != "" && c.Has("console.err."+e.Code+"."+e.Field):
		msg = c.T(lang, "console.err."+e.Code+"."+e.Field)
	case e.Code == anshin.ECodeInvalidField && c.Has("field."+e.Field):
		msg = c.T(lang, "field."+e.Field)
	default:
		msg = c.T(lang, "error."+e.Code)
	}
	// Japanese sentences follow each other without a space.
	sep := " "
	if lang == "ja" {
		sep = ""
	}
	if !e.RetryAt.IsZero() {
		msg += sep + c.T(lang, "retry.at", "time", formatRetry(lang, e.RetryAt, now))
	}
	if e.Code == anshin.ECodeKeyNotForGroup {
		if len(e.Masked) > 0 {
			msg += sep + c.T(lang, "error.key_not_for_group.to", "dest", strings.Join(e.Masked, ", "))
		} else {
			msg += sep + c.T(lang, "error.key_not_for_group.none")
		}
	}
	return msg
}

// formatTime shows a time in Japan time, as administrators read it: the
// one date format of the console.
func formatTime(lang string, t time.Time) string {
	t = t.In(anshin.JapanTime)
	if lang == "en" {
		return t.Format("2 Jan 2006, 15:04 (Japan time)")
	}
	return t.Format("2006年1月2日 15:04（日本時間）")
}

// formatRetry shows when to try again: the clock to the second when it is
// today in Japan (a countdown of seconds matters), else the day and the
// minute.
func formatRetry(lang string, t, now time.Time) string {
	t, now = t.In(anshin.JapanTime), now.In(anshin.JapanTime)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		if lang == "en" {
			return t.Format("15:04:05 (Japan time)")
		}
		return t.Format("15:04:05（日本時間）")
	}
	if lang == "en" {
		return t.Format("2 Jan, 15:04 (Japan time)")
	}
	return t.Format("1月2日 15:04（日本時間）")
}

// pickLang chooses the language: ?lang=, then the cookie, then
// Accept-Language, then Japanese.
func pickLang(r *http.Request) (lang string, fromQuery bool) {
	if l := r.URL.Query().Get("lang"); validLang(l) {
		return l, true
	}
	if c, err := readCookie(r, cookieLang); err == nil && validLang(c.Value) {
		return c.Value, false
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No {
				return langs[i], false
			}
		}
	}
	return "ja", false
}

func validLang(l string) bool { return l == "ja" || l == "en" }
