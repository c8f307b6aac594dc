package sqlstore

import (
	"fmt"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	pg := dialect{name: "postgres", dollar: true}
	for q, want := range map[string]string{
		`SELECT a FROM t WHERE b = ? AND c = ?`:  `SELECT a FROM t WHERE b = $1 AND c = $2`,
		`UPDATE t SET note = '管理者' WHERE id = ?`: `UPDATE t SET note = '管理者' WHERE id = $1`,
		`SELECT 1`:                     `SELECT 1`,
		strings.Repeat("?,", 11) + "?": "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12",
	} {
		for range 2 { // rewritten, then from the cache
			if got := pg.rebind(q); got != want {
				t.Errorf("rebind(%q) = %q, want %q", q, got, want)
			}
		}
	}
	if q := `SELECT ? FROM t`; sqliteDialect.rebind(q) != q {
		t.Errorf("SQLite's placeholders were rewritten: %q", sqliteDialect.rebind(q))
	}
	// IN lists of every length do not grow the cache without bound.
	for n := range maxRebound + 100 {
		q := fmt.Sprintf("SELECT x FROM t WHERE x IN (%s)", strings.Repeat("?, ", n)+"?")
		if got := pg.rebind(q); !strings.Contains(got, fmt.Sprintf("$%d)", n+1)) {
			t.Fatalf("rebind of %d placeholders: %q", n+1, got)
		}
	}
	if n := reboundN.Load(); n > maxRebound {
		t.Errorf("%d statements cached, more than %d", n, maxRebound)
	}
}
