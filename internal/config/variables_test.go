package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Load reads every declared variable, and nothing else (an undeclared one
// panics in variable).
func TestLoadReadsEveryDeclaredVariable(t *testing.T) {
	read := map[string]bool{}
	if _, err := Load(func(name string) string { read[name] = true; return "" }, false); err != nil {
		t.Fatal(err)
	}
	for _, v := range Variables {
		if !read[v.Name] {
			t.Errorf("%s is declared but Load never reads it", v.Name)
		}
	}
	if len(read) != len(Variables) {
		t.Errorf("Load read %d variables, %d are declared", len(read), len(Variables))
	}
}

var readmeVariable = regexp.MustCompile("`(ANSHIN_[A-Z0-9_]+)`")

// The README's table of variables (Configuration) and Variables agree: the
// same names, and each default the list declares stands in the row that
// names it (rows that say "see the rules above" give theirs in that table).
func TestREADMETableMatchesVariables(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(raw)
	start := strings.Index(section, "| variable | default | meaning |")
	if start < 0 {
		t.Fatal("README.md has no table | variable | default | meaning |")
	}
	section = section[start:]
	if end := strings.Index(section, "\n\n"); end > 0 {
		section = section[:end]
	}
	inREADME := map[string]string{} // name → its row's default cell
	for _, row := range strings.Split(section, "\n")[2:] {
		cells := strings.Split(row, " | ")
		if len(cells) < 3 {
			t.Errorf("README row %q has no default and meaning", row)
			continue
		}
		for _, m := range readmeVariable.FindAllStringSubmatch(cells[0], -1) {
			inREADME[m[1]] = cells[1]
		}
	}
	var declared []string
	for _, v := range Variables {
		declared = append(declared, v.Name)
		cell, ok := inREADME[v.Name]
		switch {
		case !ok:
			t.Errorf("%s is declared in Variables but not in the README's table", v.Name)
		case v.Default != "" && !strings.Contains(cell, "see the rules") && !strings.Contains(cell, "`"+v.Default+"`"):
			t.Errorf("README: the default of %s is %q there, %q in Variables", v.Name, cell, v.Default)
		}
	}
	for name := range inREADME {
		if !slices.Contains(declared, name) {
			t.Errorf("the README's table names %s, which Variables does not declare", name)
		}
	}
}
