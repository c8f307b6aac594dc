package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anshin/anshin/internal/store/storetest"
	"github.com/anshin/anshin/internal/testenv"
)

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	raw    string
	code   int
}

func getReady(t *testing.T, base string) readiness {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := readiness{raw: string(b), code: resp.StatusCode}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("GET /readyz: %d %q: %v", resp.StatusCode, b, err)
	}
	return r
}

// awaitReady polls /readyz until its status code is want (a failsafe
// deadline, not a measurement) and returns the last answer.
func awaitReady(t *testing.T, base string, want int) readiness {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := getReady(t, base)
		if r.code == want || time.Now().After(deadline) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func wantReady(t *testing.T, r readiness) {
	t.Helper()
	if r.code != http.StatusOK || r.Status != "ok" || r.Checks["database"] != "ok" || r.Checks["migrations"] != "ok" || r.Checks["outbox_worker"] != "ok" {
		t.Fatalf("readyz: %d %s, want 200 with every check ok", r.code, r.raw)
	}
}

func wantDatabaseFailing(t *testing.T, r readiness, secrets ...string) {
	t.Helper()
	if r.code != http.StatusServiceUnavailable || r.Status != "unavailable" || r.Checks["database"] != "failing" || r.Checks["outbox_worker"] != "ok" {
		t.Fatalf("readyz: %d %s, want 503 with the database failing", r.code, r.raw)
	}
	for _, s := range secrets {
		if strings.Contains(r.raw, s) {
			t.Errorf("readyz reveals %q: %s", s, r.raw)
		}
	}
}

// The SQLite file the server opened is removed, or replaced by another
// file (garbage): either way the data it writes no longer survives a
// restart, so the instance is not ready, while /healthz still answers.
func TestServeReadyzSQLiteFileGone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string) error
	}{
		{"Removed", os.Remove},
		{"ReplacedByGarbage", func(path string) error {
			if err := os.WriteFile(path+".new", []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
				return err
			}
			return os.Rename(path+".new", path)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "anshin.db")
			srv := startServe(t, testEnv(t, "ANSHIN_DATABASE_URL", "sqlite:"+path), "serve", "--demo")
			wantReady(t, awaitReady(t, srv.URL, http.StatusOK))
			if err := tc.damage(path); err != nil {
				t.Fatal(err)
			}
			wantDatabaseFailing(t, getReady(t, srv.URL), path, "anshin.db")
			resp, err := http.Get(srv.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("healthz: %d, want 200: the process is alive", resp.StatusCode)
			}
		})
	}
}

// PostgreSQL stops taking connections to the server's database and drops
// the ones it had: not ready; it takes them again: ready again.
func TestServeReadyzPostgresStopped(t *testing.T) {
	admin := testenv.Require(t, testenv.PostgresURL)
	dbURL := storetest.PostgresDatabase(t, admin)
	u, _ := url.Parse(dbURL)
	name := strings.TrimPrefix(u.Path, "/")
	// A secret key of its own: in development with PostgreSQL one would
	// be generated into ./data.
	srv := startServe(t, testEnv(t, "ANSHIN_DATABASE_URL", dbURL, "ANSHIN_SECRET_KEY", testSecretKey), "serve", "--demo")
	wantReady(t, awaitReady(t, srv.URL, http.StatusOK))

	adm, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	exec := func(q string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false")
	exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "' AND pid <> pg_backend_pid()")
	wantDatabaseFailing(t, awaitReady(t, srv.URL, http.StatusServiceUnavailable), name, "postgres://")

	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true")
	wantReady(t, awaitReady(t, srv.URL, http.StatusOK))
}
