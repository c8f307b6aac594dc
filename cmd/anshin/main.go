// Command anshin is the administrator console server and its tools:
// serve, migrate, bounce ingest and the operator provisioning commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// The first SIGINT or SIGTERM stops gracefully (README: Shutdown); a
	// second one exits at once, with status 130.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		stop()
		<-sigs
		fmt.Fprintln(os.Stderr, "anshin: second signal: exiting at once")
		os.Exit(exitInterrupted)
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "anshin:", err)
		os.Exit(exitCode(err))
	}
}

const usage = `usage: anshin <command> [arguments]

commands:
  serve [--demo]                       run the server (--demo: development mode with demo data)
  migrate                              apply the database migrations
  operator account put LOGIN_ID        provision an account from the JSON on standard input
  operator group put GROUP_ID          provision a contract group
  operator admin put GROUP_ID LOGIN_ID provision an administrator of a group
  operator clomo put GROUP_ID          provision a group's CLOMO environment
  bounce ingest [--rcpt ADDRESS]       apply the bounce message on standard input
                                       (exit 0 applied, 3 not a bounce, 4 forged or
                                       unknown delivery, 75 try again later)
  backup PATH                          write a consistent copy of the SQLite database
                                       to PATH while the server runs
  config check [--demo]                validate the environment and print the
                                       configuration, secrets masked
  version                              print the version and VCS revision

Configuration comes from ANSHIN_* environment variables; see README.md.
`

// exitInterrupted is the status after a second signal cut a graceful stop
// short (128 + SIGINT, as shells report an interrupt).
const exitInterrupted = 130

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n\n" + usage }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	if e, ok := err.(exitError); ok {
		return e.code
	}
	return 1
}

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "operator":
		return runOperator(ctx, args[1:], getenv, stdin, stdout)
	case "bounce":
		return bounceCommand(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "backup":
		return backupCommand(ctx, args[1:], getenv, stdout)
	case "version", "--version":
		return versionCommand(args[1:], stdout)
	case "config":
		return configCommand(args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
