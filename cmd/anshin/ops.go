package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	goversion "go/version"
	"io"
	"io/fs"
	neturl "net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/anshin/anshin/internal/config"
	"github.com/anshin/anshin/internal/store/sqlstore"
)

// The operator's commands around the server (README: Operations):
// backup, version and config check.

func backupCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || strings.HasPrefix(args[0], "-") {
		return usageError{"backup takes one argument: the PATH of the copy to write"}
	}
	cfg, err := config.Load(getenv, false)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite:")
	if !ok {
		return sqlstore.ErrBackupPostgres
	}
	// Open would create a missing database: a backup of nothing is a mistake.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ANSHIN_DATABASE_URL: there is no database at %s", path)
	}
	db, err := sqlstore.Open(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("ANSHIN_DATABASE_URL: %w", err)
	}
	defer db.Close()
	if err := db.Backup(ctx, args[0]); err != nil {
		return err
	}
	fi, err := os.Stat(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes)\n", args[0], fi.Size())
	return nil
}

func versionCommand(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{"version takes no arguments"}
	}
	fmt.Fprint(stdout, versionText())
	return nil
}

// patchedGo is the Go release production builds use (GOTOOLCHAIN in
// deploy/Dockerfile, scripts/build and scripts/vulncheck): the earlier
// 1.26 releases have standard-library vulnerabilities that anshin's code
// reaches (crypto/x509, crypto/tls, net/http, html/template).
const patchedGo = "go1.26.10"

// versionText is the module version and the VCS revision the binary was
// built from, as the Go toolchain recorded them, and the Go release it
// runs on, with a note when that is older than patchedGo.
func versionText() string {
	version, revision, built, goVersion := "(devel)", "unknown", "", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				built = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified {
			revision += " (with uncommitted changes)"
		}
	}
	s := fmt.Sprintf("anshin %s\nrevision: %s\n", version, revision)
	if built != "" {
		s += "commit time: " + built + "\n"
	}
	s += "go: " + goVersion
	if goversion.IsValid(goVersion) && goversion.Compare(goVersion, patchedGo) < 0 {
		s += " (older than " + patchedGo + ", which fixes known vulnerabilities: build with GOTOOLCHAIN=" + patchedGo + ")"
	}
	return s + "\n"
}

func configCommand(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{"config: the only subcommand is check"}
	}
	flags := flag.NewFlagSet("config check", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	demoMode := flags.Bool("demo", false, "check as serve --demo would")
	if err := flags.Parse(args[1:]); err != nil || flags.NArg() > 0 {
		return usageError{"config check takes only --demo"}
	}
	cfg, err := config.Load(getenv, *demoMode)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if len(cfg.SecretKey) == 0 && !cfg.Dev {
		return errors.New("configuration:\nANSHIN_SECRET_KEY: required outside development mode (generate one with: openssl rand -hex 32)")
	}
	mode := "production"
	if cfg.Dev {
		mode = "development"
	}
	fmt.Fprintf(stdout, "configuration OK (%s mode); secrets are masked\n\n", mode)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, v := range config.Variables {
		value := strings.TrimSpace(getenv(v.Name))
		if value == "" {
			fmt.Fprintf(tw, "%s\t(default) %s\n", v.Name, v.Shown())
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", v.Name, maskSetting(v.Name, value))
	}
	return tw.Flush()
}

// maskSetting shows a variable's value without its secret: keys, tokens,
// secrets and passwords entirely hidden, a URL without its password or
// secret parameters.
func maskSetting(name, value string) string {
	for _, suffix := range []string{"_KEY", "_TOKEN", "_SECRET", "_PASSWORD"} {
		if strings.HasSuffix(name, suffix) {
			return "******** (set)"
		}
	}
	if !strings.HasSuffix(name, "_URL") || strings.HasPrefix(value, "sqlite:") {
		return value
	}
	u, err := neturl.Parse(value)
	if err != nil {
		return "(set; not shown, it is not a URL)"
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			if secretParam(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// secretParam is a URL parameter that carries a credential, such as
// PostgreSQL's password= or sslpassword=.
func secretParam(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "secret", "token", "key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
