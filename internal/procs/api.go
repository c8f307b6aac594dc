package procs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Account is one provisioned login: the representative of a group of its
// own, with a docomo line and a contact address.
type Account struct {
	LoginID, Password, Line, Email, Group string
}

// SMSTo is the number the SMS gateway is given for a's line (E.164).
func (a Account) SMSTo() string { return "+81" + a.Line[1:] }

// PutAccount provisions a through the operator API of the server at base.
func PutAccount(c *http.Client, base, operatorToken string, a Account) error {
	steps := []struct {
		path string
		body any
	}{
		{"/api/v1/operator/accounts/" + url.PathEscape(a.LoginID), map[string]any{"kind": "d_account", "password": a.Password, "docomo_line": a.Line, "contact_emails": []string{a.Email}}},
		{"/api/v1/operator/groups/" + a.Group, map[string]any{"management_number": "N" + a.Group, "representative_number": "03-1234-5678",
			"contract": map[string]any{"plan": "standard", "licenses": 10, "start_date": "2024-04-01", "status": "active"}}},
		{"/api/v1/operator/groups/" + a.Group + "/admins/" + url.PathEscape(a.LoginID), map[string]any{"role": "representative", "name": "代表 " + a.LoginID, "email": a.Email}},
	}
	for _, s := range steps {
		b, _ := json.Marshal(s.body)
		req, err := http.NewRequest("PUT", base+s.path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+operatorToken)
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("PUT %s: %w", s.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 201 {
			return fmt.Errorf("PUT %s: %d %s", s.path, resp.StatusCode, body)
		}
	}
	return nil
}
