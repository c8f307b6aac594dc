package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Two OSV entries, one naming two modules, become the v1 layout: the
// newest modification in db.json, each module with its entries, and the
// entries copied byte for byte.
func TestBuildWritesTheV1Layout(t *testing.T) {
	osv := t.TempDir()
	entries := map[string]string{
		"GO-2026-0001": `{"id":"GO-2026-0001","modified":"2026-03-01T00:00:00Z","aliases":["CVE-2026-1"],
			"affected":[{"package":{"name":"stdlib"}},{"package":{"name":"example.com/m"}}]}`,
		"GO-2026-0002": `{"id":"GO-2026-0002","modified":"2026-05-01T00:00:00Z","affected":[{"package":{"name":"example.com/m"}},{"package":{"name":"example.com/m"}}]}`,
	}
	for id, body := range entries {
		if err := os.WriteFile(filepath.Join(osv, id+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if n, err := build(osv, out); err != nil || n != 2 {
		t.Fatalf("build: %d, %v", n, err)
	}
	var db struct{ Modified string }
	var modules []module
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read("index/db.json", &db)
	read("index/modules.json", &modules)
	if db.Modified != "2026-05-01T00:00:00Z" {
		t.Errorf("db.json modified %q", db.Modified)
	}
	if len(modules) != 2 || modules[0].Path != "example.com/m" || len(modules[0].Vulns) != 2 || modules[1].Path != "stdlib" || len(modules[1].Vulns) != 1 {
		t.Errorf("modules.json: %+v", modules)
	}
	for id, body := range entries {
		if b, err := os.ReadFile(filepath.Join(out, "ID", id+".json")); err != nil || string(b) != body {
			t.Errorf("ID/%s.json: %v", id, err)
		}
	}
	if _, err := build(t.TempDir(), t.TempDir()); err == nil {
		t.Error("an empty folder made a database")
	}
}
