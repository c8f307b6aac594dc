package web_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/bounce"
)

const postmarkPath = "/api/v1/bounces/postmark"

// The credentials set on the fixture's Postmark webhook.
const (
	postmarkUser     = "postmark"
	postmarkPassword = "7Jq2-pX9s!vR4wLm"
)

// postmarkFixture plays Postmark's webhooks, which carry HTTP Basic
// credentials and no signature.
type postmarkFixture struct {
	t  *testing.T
	ts *testServer
}

func newPostmarkFixture(t *testing.T) *postmarkFixture {
	t.Helper()
	ts := newTestServer(t, withLogin(noCooldown), withPostmark(&bounce.Postmark{User: postmarkUser, Password: postmarkPassword}))
	return &postmarkFixture{t: t, ts: ts}
}

func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// post posts record with the webhook's credentials.
func (f *postmarkFixture) post(record any) apiResponse {
	f.t.Helper()
	return f.ts.request(http.MethodPost, postmarkPath, record, "Authorization", basicAuth(postmarkUser, postmarkPassword))
}

// pmMetadata is the metadata Postmark keeps from the X-PM-Metadata-*
// header of m: our Message-ID's local part.
func pmMetadata(m sentMail) map[string]any {
	ref, _, _ := strings.Cut(strings.Trim(m.MessageID, "<>"), "@")
	return map[string]any{"anshin-delivery": ref}
}

// pmBounce is a Bounce webhook about m as Postmark documents it.
func pmBounce(m sentMail, id int64, typ string, typeCode int, details string) map[string]any {
	return map[string]any{"RecordType": "Bounce", "MessageStream": "outbound", "ID": id, "Type": typ, "TypeCode": typeCode,
		"Name": typ, "Tag": "", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Metadata": pmMetadata(m), "ServerID": 23,
		"Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
		"Details":     details, "Email": m.To, "From": "anshin@example.jp", "BouncedAt": "2026-11-30T16:33:54.9070259Z",
		"DumpAvailable": true, "Inactive": true, "CanActivate": true, "Subject": "【anshin】ワンタイムキーのお知らせ"}
}

func pmHard(m sentMail, id int64) map[string]any {
	return pmBounce(m, id, "HardBounce", 1, "smtp;550 5.1.1 The email account that you tried to reach does not exist.")
}

func TestPostmarkBounceDisablesOnceAndRepeatsChangeNothing(t *testing.T) {
	f := newPostmarkFixture(t)
	m := f.ts.emailDelivery()
	f.ts.bounceAppliesOnce(m, func() apiResponse { return f.post(pmHard(m, 4323372036854775807)) })

	// The record ID is what a repeat is known by: an ID seen before
	// changes nothing, whatever the record now says.
	m2 := f.ts.emailDelivery()
	result(f.ts, f.post(pmBounce(m2, 42, "Transient", 2, "smtp;421 4.4.2 try again later")))
	res := result(f.ts, f.post(pmHard(m2, 42)))
	if st := f.ts.mailState(m2.To, m2.ID); res["duplicate"] != true || st.Disabled || st.DeliveryStatus != "sent" {
		t.Fatalf("an ID seen before: %v, %+v", res, st)
	}
}

// TestPostmarkRefusesWithoutItsCredentials: no credentials, a wrong user
// or password, another scheme: 401 with a Basic challenge, nothing
// changes; a post with them that is not a record: 400.
func TestPostmarkRefusesWithoutItsCredentials(t *testing.T) {
	f := newPostmarkFixture(t)
	m := f.ts.emailDelivery()
	rec := pmHard(m, 7)
	for name, auth := range map[string]string{
		"none":                "",
		"wrong password":      basicAuth(postmarkUser, postmarkPassword+"x"),
		"password prefix":     basicAuth(postmarkUser, postmarkPassword[:8]),
		"wrong user":          basicAuth("Postmark", postmarkPassword),
		"empty password":      basicAuth(postmarkUser, ""),
		"colon moved":         basicAuth(postmarkUser+":"+postmarkPassword[:3], postmarkPassword[3:]),
		"bearer":              "Bearer " + postmarkPassword,
		"basic, not base64":   "Basic " + postmarkUser + ":" + postmarkPassword,
		"the password as all": basicAuth(postmarkPassword, ""),
	} {
		t.Run(name, func(t *testing.T) {
			var header []string
			if auth != "" {
				header = []string{"Authorization", auth}
			}
			r := f.ts.request(http.MethodPost, postmarkPath, rec, header...)
			wantError(t, r, 401, "unauthorized")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	f.ts.wantUnchanged(m, "a refused post")
	wantError(t, f.ts.request(http.MethodPost, postmarkPath, "{not json"), 401, "unauthorized")

	for _, body := range []string{`{"RecordType":`, `[]`, `"x"`, ``, `{"RecordType":"Bounce","ID":"x1"}`, "\xff\xfe{}",
		`{"RecordType":"Bounce","ID":{"n":1}}`, `{"RecordType":"Bounce","ID":1,"Metadata":"x"}`, `{"RecordType":7}`} {
		wantError(t, f.post(body), 400, "invalid_request")
	}
	wantError(t, f.post(strings.Repeat(" ", 1<<20+1)), 413, "body_too_large")
	noID := pmHard(m, 0)
	delete(noID, "ID")
	wantError(t, f.post(noID), 400, "invalid_request")
	f.ts.wantUnchanged(m, "a bad record")
}

func TestPostmarkUnknownRecipientsChangeNothing(t *testing.T) {
	f := newPostmarkFixture(t)
	m := f.ts.emailDelivery()
	answers := []apiResponse{}
	for i, x := range strangers(m) {
		answers = append(answers, f.post(pmHard(x, int64(100+i))))
	}
	noMetadata := pmHard(m, 110)
	delete(noMetadata, "Metadata")
	f.ts.unknownDeliveries(m, append(answers, f.post(noMetadata))...)
}

// TestPostmarkRecordKinds follows SPEC §3 for Postmark's record and bounce
// types.
func TestPostmarkRecordKinds(t *testing.T) {
	f := newPostmarkFixture(t)
	m, m2, m3, m4 := f.ts.emailDelivery(), f.ts.emailDelivery(), f.ts.emailDelivery(), f.ts.emailDelivery()
	delivered := map[string]any{"RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
		"Recipient": m.To, "Tag": "", "DeliveredAt": "2026-11-30T16:33:54.9070259Z", "Details": "Test delivery webhook details", "Metadata": pmMetadata(m)}
	complaint := pmBounce(m, 201, "SpamComplaint", 512, "")
	complaint["RecordType"] = "SpamComplaint"
	f.ts.wantEventKinds(func(rec map[string]any) apiResponse { return f.post(rec) }, []eventKind{
		{m, delivered, "none", "delivered", false, "sent", false},
		{m, complaint, "none", "feedback_report", false, "sent", false},
		{m, pmBounce(m, 202, "SpamNotification", 512, "The message was classified as spam"), "none", "feedback_report", false, "sent", false},
		{m, pmBounce(m, 203, "AutoResponder", 64, "Out of office until Monday"), "none", "auto_reply", false, "sent", false},
		{m, pmBounce(m, 204, "Transient", 2, "smtp;421 4.4.2 connection timed out, still trying"), "transient", "delayed", true, "sent", false},
		{m4, pmBounce(m4, 205, "Blocked", 100006, "smtp;550 5.1.1 user unknown (blocked by the recipient's filter)"), "none", "policy", true, "bounced", false},
		{m2, pmBounce(m2, 206, "SoftBounce", 4096, "smtp;451 4.3.0 temporary local problem"), "transient", "temporary_failure", true, "bounced", false},
		{m3, pmBounce(m3, 207, "HardBounce", 1, ""), "permanent", "no_such_user", true, "bounced", true},
	})
	// Opens, clicks and subscription changes say nothing about delivery.
	r := f.post(map[string]any{"RecordType": "Open", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Recipient": m.To, "Metadata": pmMetadata(m)})
	wantStatus(t, r, http.StatusOK)
	if list, _ := r.JSON["results"].([]any); list == nil || len(list) != 0 {
		t.Errorf("an open record: %s", r.Raw)
	}
}
