package anshintest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser requests a server's pages as a browser would, keeping cookies,
// without following redirects (NewBrowser), so that a test sees each 303
// and where it leads.
type Browser struct {
	T      testing.TB
	Base   string // the server's URL; paths are relative to it
	Client *http.Client
}

// Browse returns a new Browser on the server at base.
func Browse(t testing.TB, base string) *Browser {
	t.Helper()
	return &Browser{T: t, Base: base, Client: NewBrowser(t)}
}

// Page is one answer as the browser saw it.
type Page struct {
	Status   int
	Location string // the Location header, where a redirect leads
	Header   http.Header
	Body     string
}

// Do sends a request to path (a form, if any, as a browser posts one),
// with header's name–value pairs, and returns the answer.
func (b *Browser) Do(method, path string, form url.Values, header ...string) Page {
	b.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.resolve(path), body)
	if err != nil {
		b.T.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, raw := Send(b.T, b.Client, req, header...)
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(raw)}
}

// Send sends req on c with header's name–value pairs and returns the
// answer with its whole body, read and closed; a failure to send or to
// read fails the test.
func Send(t testing.TB, c *http.Client, req *http.Request, header ...string) (*http.Response, []byte) {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return resp, raw
}

// resolve makes path a URL on the server; a whole URL (another server's,
// such as an OpenID Provider's) stays as it is.
func (b *Browser) resolve(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.Base + path
}

// Get requests path.
func (b *Browser) Get(path string, header ...string) Page {
	b.T.Helper()
	return b.Do(http.MethodGet, path, nil, header...)
}

// Post posts form to path.
func (b *Browser) Post(path string, form url.Values, header ...string) Page {
	b.T.Helper()
	return b.Do(http.MethodPost, path, form, header...)
}

// Cookie returns the value the jar holds for name on the server, "" if
// none.
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.Base)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Has fails the test for each part the page lacks.
func (p Page) Has(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.Body, s) {
			t.Errorf("the page lacks %q:\n%s", s, p.Body)
		}
	}
}

// Want fails the test unless the page answered status and has parts.
func (p Page) Want(t testing.TB, status int, parts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, p.Body)
	}
	p.Has(t, parts...)
}

// WantRedirect fails the test unless the page is a 303 to location.
func (p Page) WantRedirect(t testing.TB, location string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != location {
		t.Fatalf("got %d to %q, want 303 to %q\n%s", p.Status, p.Location, location, p.Body)
	}
}

// WantFieldError fails the test unless the page marks the form's field
// invalid, ties it to its own error message beside it, and links the
// error summary to it.
func (p Page) WantFieldError(t testing.TB, field string) {
	t.Helper()
	re := regexp.MustCompile(`<input id="` + field + `"[^>]*aria-describedby="[^"]*` + field + `-error"[^>]*aria-invalid="true"`)
	if !re.MatchString(p.Body) || !strings.Contains(p.Body, `<p class="field-error" id="`+field+`-error">`) || !strings.Contains(p.Body, `<a href="#`+field+`">`) {
		t.Errorf("field %s is not marked invalid and tied to the error summary:\n%s", field, p.Body)
	}
	if !strings.Contains(p.Body, `id="error-summary"`) {
		t.Errorf("the page has no error summary")
	}
}
