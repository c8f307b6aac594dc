package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	shared "github.com/anshin/anshin/internal/procs"
	_ "github.com/anshin/anshin/internal/store/sqlstore" // the sqlite driver
	_ "github.com/jackc/pgx/v5/stdlib"                   // the pgx driver
)

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 256}}

// answer is a decoded JSON answer.
type answer struct {
	Status int
	Body   map[string]any
	Took   time.Duration
	Err    error // the request got no answer
}

// Code is the error code of an error answer.
func (a answer) Code() string {
	if e, ok := a.Body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (a answer) str(k string) string { s, _ := a.Body[k].(string); return s }

func (a answer) String() string {
	if a.Err != nil {
		return "no answer: " + a.Err.Error()
	}
	if c := a.Code(); c != "" {
		return fmt.Sprintf("%d %s", a.Status, c)
	}
	return fmt.Sprint(a.Status)
}

// call sends body as JSON (none when nil); hdr pairs add headers.
func call(c *http.Client, method, u string, body any, hdr ...string) answer {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return answer{Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return answer{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Took: time.Since(start)}
	if len(b) > 0 {
		json.Unmarshal(b, &a.Body)
	}
	return a
}

func (i *instance) post(path string, body any, hdr ...string) answer {
	return call(httpClient, "POST", i.URL+path, body, hdr...)
}

// login steps through the JSON API (SPEC §5).
func (i *instance) startLogin(loginID string, hdr ...string) (string, answer) {
	a := i.post("/api/v1/login", map[string]string{"login_id": loginID}, hdr...)
	return a.str("flow_id"), a
}

func (i *instance) password(flow, pw string, hdr ...string) answer {
	return i.post("/api/v1/login/"+flow+"/password", map[string]string{"password": pw}, hdr...)
}

func (i *instance) issue(flow, method string) answer {
	return i.post("/api/v1/login/"+flow+"/one-time-key", map[string]string{"method": method})
}

func (i *instance) verify(flow, key, group string) answer {
	return i.post("/api/v1/login/"+flow+"/verify", map[string]string{"key": key, "group_id": group})
}

// toKeyStep starts a login and passes the password step.
func (i *instance) toKeyStep(loginID, pw string) (string, error) {
	flow, a := i.startLogin(loginID)
	if flow == "" {
		return "", fmt.Errorf("start login: %s", a)
	}
	if a := i.password(flow, pw); a.Status != http.StatusOK {
		return "", fmt.Errorf("password: %s", a)
	}
	return flow, nil
}

// account is one provisioned login.
type account = shared.Account

var seq atomic.Int64

// provision puts n accounts, each the representative of a group of its
// own, through the operator API; line and email choose each one's
// docomo line and address (nil: unique ones).
func (i *instance) provision(prefix string, n int, line func(k int) string) []account {
	accts := make([]account, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for k := range n {
		s := seq.Add(1)
		a := account{
			LoginID:  fmt.Sprintf("%s-%d", prefix, s),
			Password: fmt.Sprintf("pw-%d-torture-x9", s),
			Line:     fmt.Sprintf("0903%07d", s%10000000),
			Email:    fmt.Sprintf("%s-%d@example.jp", prefix, s),
			Group:    fmt.Sprintf("g-%s-%d", prefix, s),
		}
		if line != nil {
			a.Line = line(k)
		}
		accts[k] = a
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- i.putAccount(a)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			fatalf("provisioning: %v", err)
		}
	}
	return accts
}

func (i *instance) putAccount(a account) error {
	return shared.PutAccount(httpClient, i.URL, operatorToken, a)
}

// sqliteDB is a new SQLite file's URL.
func (e *env) sqliteDB(name string) string {
	return "sqlite:" + filepath.Join(e.work, name+".db")
}

var pgSeq atomic.Int64

// postgresDB creates a database of its own on the private cluster.
func (e *env) postgresDB(name string) string {
	if e.pgURL == "" {
		fatalf("no PostgreSQL (set ANSHIN_TORTURE_POSTGRES_URL or run scripts/torture)")
	}
	db, err := sql.Open("pgx", e.pgURL)
	must(err, "PostgreSQL")
	defer db.Close()
	dbName := fmt.Sprintf("torture_%s_%d_%d", strings.ReplaceAll(name, "-", "_"), time.Now().Unix(), pgSeq.Add(1))
	_, err = db.Exec("CREATE DATABASE " + dbName)
	must(err, "create database")
	u, err := url.Parse(e.pgURL)
	must(err, "PostgreSQL URL")
	u.Path = "/" + dbName
	return u.String()
}

// openDB opens a row's database to count what it holds.
func openDB(dbURL string) *sql.DB {
	var db *sql.DB
	var err error
	if p, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		db, err = sql.Open("sqlite", "file:"+p+"?mode=ro&_pragma=busy_timeout(10000)")
	} else {
		db, err = sql.Open("pgx", dbURL)
	}
	must(err, "open the database")
	return db
}

func count(db *sql.DB, query string, args ...any) int {
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		fatalf("%s: %v", query, err)
	}
	return n
}

// pgControl stops or starts the private cluster.
func (e *env) pgControl(action string) error {
	if e.pgCtl == "" {
		return fmt.Errorf("no control over the PostgreSQL server (ANSHIN_TORTURE_PG_CTL)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.pgCtl, action).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", e.pgCtl, action, err, out)
	}
	return nil
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
