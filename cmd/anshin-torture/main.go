// Command anshin-torture runs the real anshin binary under load and
// faults — two instances on one PostgreSQL where several instances
// matter, SQLite otherwise — and prints one Markdown table: per
// guarantee, the load, the figure and the limit it must keep. It exits 1
// when any invariant breaks. scripts/torture builds the binary, starts a
// private PostgreSQL and runs it (README: Reliability).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// row is one line of the table.
type row struct {
	What   string
	Load   string
	Figure string
	Limit  string
	// OK is whether the invariant held; Reported rows (timing and
	// memory in --quick) are shown without being asserted.
	OK       bool
	Reported bool
	Notes    []string // why a row failed, for the log below the table
}

func (r *row) failf(format string, args ...any) {
	r.OK = false
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// env is what every row needs: the binary, the database server, the
// scale.
type env struct {
	bin   string
	pgURL string // an administrative URL of a private cluster; "" skips the PostgreSQL rows
	pgCtl string // a command taking stop or start for that cluster
	quick bool
	work  string // a folder for databases and logs
	log   io.Writer
}

// scale picks the full run's figure or the quick one's.
func (e *env) scale(full, quick int) int {
	if e.quick {
		return quick
	}
	return full
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

type rowFunc struct {
	name string
	run  func(*env) *row
}

// rows, in the order of the table.
var rows = []rowFunc{
	{"double-accepts", doubleAccepts},
	{"failure-counter", failureCounter},
	{"issuance-limits", issuanceLimits},
	{"messages-lost", messagesLost},
	{"postgres-restart", postgresRestart},
	{"fuzz", fuzzedRequests},
	{"enumeration-timing", enumerationTiming},
	{"sms-pumping", smsPumping},
	{"memory", memoryUnderLoad},
	{"start-to-ready", startToReady},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("anshin-torture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	e := &env{log: stderr}
	fs.BoolVar(&e.quick, "quick", false, "a tenth of the load or less; timing and memory reported, not asserted")
	fs.StringVar(&e.bin, "bin", "", "the anshin binary (required)")
	fs.StringVar(&e.pgURL, "postgres", os.Getenv("ANSHIN_TORTURE_POSTGRES_URL"), "administrative URL of a private PostgreSQL cluster")
	fs.StringVar(&e.pgCtl, "pg-ctl", os.Getenv("ANSHIN_TORTURE_PG_CTL"), "command that stops (stop) and starts (start) that cluster")
	only := fs.String("run", "", "a regular expression: run only the rows whose name matches")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if e.bin == "" {
		fmt.Fprintln(stderr, "anshin-torture: --bin is required")
		return 2
	}
	var err error
	if e.work, err = os.MkdirTemp("", "anshin-torture-"); err != nil {
		fmt.Fprintln(stderr, "anshin-torture:", err)
		return 1
	}
	defer os.RemoveAll(e.work)
	defer stopAll()
	var match *regexp.Regexp
	if *only != "" {
		if match, err = regexp.Compile(*only); err != nil {
			fmt.Fprintln(stderr, "anshin-torture: --run:", err)
			return 2
		}
	}
	var done []*row
	for _, rf := range rows {
		if match != nil && !match.MatchString(rf.name) {
			continue
		}
		e.logf("row %s", rf.name)
		start := time.Now()
		r := runRow(e, rf)
		stopAll()
		e.logf("row %s: %s in %s", rf.name, verdict(r), time.Since(start).Round(time.Millisecond))
		done = append(done, r)
	}
	printTable(stdout, e, done)
	for _, r := range done {
		if !r.OK && !r.Reported {
			return 1
		}
	}
	return 0
}

// fatal stops a row at once: runRow turns it into a failed row.
type fatal struct{ msg string }

func must(err error, what string) {
	if err != nil {
		panic(fatal{what + ": " + err.Error()})
	}
}

func fatalf(format string, args ...any) { panic(fatal{fmt.Sprintf(format, args...)}) }

func runRow(e *env, rf rowFunc) (r *row) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(fatal)
			if !ok {
				panic(p)
			}
			if r == nil {
				r = &row{What: rf.name, Figure: "—"}
			}
			r.failf("%s", f.msg)
			r.Reported = false
		}
	}()
	return rf.run(e)
}

func verdict(r *row) string {
	switch {
	case r.OK:
		return "holds"
	case r.Reported:
		return "reported (over the limit)"
	}
	return "BROKEN"
}

func printTable(w io.Writer, e *env, rs []*row) {
	mode := "full run"
	if e.quick {
		mode = "--quick (timing and memory reported, not asserted)"
	}
	fmt.Fprintf(w, "\nanshin torture, %s\n\n", mode)
	fmt.Fprintln(w, "| what | load | figure | must be | |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range rs {
		mark := "ok"
		switch {
		case !r.OK && r.Reported:
			mark = "over (reported)"
		case !r.OK:
			mark = "**BROKEN**"
		case r.Reported:
			mark = "ok (reported)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.What, r.Load, cell(r.Figure), r.Limit, mark)
	}
	for _, r := range rs {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "\n- %s: %s", r.What, n)
		}
	}
	fmt.Fprintln(w)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
