package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/anshin/anshin/internal/config"
)

// deploy/ holds the Dockerfile and the systemd unit. No Docker engine or
// systemd runs in the tests: they check what the files promise.

func readDeploy(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeployFiles(t *testing.T) {
	docker := readDeploy(t, "Dockerfile")
	for _, want := range []string{"CGO_ENABLED=0", "AS build", "FROM gcr.io/distroless/static", "USER 65532:65532",
		`VOLUME ["/data"]`, "ANSHIN_DATABASE_URL=sqlite:/data/anshin.db", "EXPOSE 8080"} {
		if !strings.Contains(docker, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	// Production builds use the patched Go release, the one `anshin
	// version` compares with.
	if !strings.Contains(docker, "ENV GOTOOLCHAIN="+patchedGo+"\n") {
		t.Errorf("deploy/Dockerfile does not build with GOTOOLCHAIN=%s", patchedGo)
	}
	for _, script := range []string{"build", "vulncheck"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "scripts", script))
		if err != nil || !strings.Contains(string(b), "GOTOOLCHAIN:-"+patchedGo+"}") {
			t.Errorf("scripts/%s does not default to GOTOOLCHAIN=%s: %v", script, patchedGo, err)
		}
	}
	unit := readDeploy(t, "anshin.service")
	for _, want := range []string{"User=anshin", "StateDirectory=anshin", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
		"MemoryDenyWriteExecute=yes", "EnvironmentFile=", "TimeoutStopSec="} {
		if !strings.Contains(unit, want) {
			t.Errorf("deploy/anshin.service lacks %q", want)
		}
	}
	// Every variable the files set is one anshin reads.
	known := map[string]bool{}
	for _, v := range config.Variables {
		known[v.Name] = true
	}
	for _, name := range regexp.MustCompile(`ANSHIN_[A-Z0-9_]+`).FindAllString(docker+unit, -1) {
		if !known[name] {
			t.Errorf("deploy/ names %s, which anshin does not read", name)
		}
	}
}

// The Dockerfile's build gives a static binary: no ELF interpreter.
func TestStaticBuild(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds the binary; Linux only")
	}
	bin := filepath.Join(t.TempDir(), "anshin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the CGO_ENABLED=0 binary is dynamically linked (%v)", p.Type)
		}
	}
}
