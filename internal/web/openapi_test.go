package web

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// jsonRoute tells the routes openapi.yaml must document: the whole API and
// the JSON endpoints outside it (not /metrics: Prometheus text).
func jsonRoute(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || path == "/api/v1" || path == "/healthz" || path == "/readyz" || path == "/dev/outbox.json"
}

var handlePattern = regexp.MustCompile(`mux\.Handle\("([A-Z]+) (/[^"]*)"`)

// registeredJSONRoutes reads routes.go, the one list of routes.
func registeredJSONRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range handlePattern.FindAllStringSubmatch(string(src), -1) {
		if jsonRoute(m[2]) {
			out = append(out, m[1]+" "+m[2])
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d JSON routes in routes.go; did its shape change?", len(out))
	}
	return out
}

type openAPIFile struct {
	OpenAPI string                          `yaml:"openapi"`
	Paths   map[string]map[string]yaml.Node `yaml:"paths"`
}

// openAPIOperation is the part of an operation the tests read.
type openAPIOperation struct {
	Summary   string `yaml:"summary"`
	Responses map[string]struct {
		Description string `yaml:"description"`
		Ref         string `yaml:"$ref"`
	} `yaml:"responses"`
}

func loadOpenAPI(t *testing.T) openAPIFile {
	t.Helper()
	raw, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f openAPIFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(f.OpenAPI, "3.") {
		t.Fatalf("openapi.yaml: openapi %q, want 3.x", f.OpenAPI)
	}
	return f
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// TestOpenAPIDocumentsEveryRoute holds openapi.yaml and routes.go to the
// same set of JSON endpoints, in both directions: adding a route without
// documenting it (or documenting one that does not exist) fails here.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	registered := registeredJSONRoutes(t)
	doc := loadOpenAPI(t)
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if slices.Contains(httpMethods, method) {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is registered in routes.go but missing from openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("openapi.yaml documents %q, which routes.go does not register", d)
		}
	}
}

// TestOpenAPIErrorCodes checks each documented error response names at
// least one error code, with the status errors.go gives that code.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	word := regexp.MustCompile(`[a-z_]+`)
	for path, item := range doc.Paths {
		for method, node := range item {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if op.Summary == "" {
				t.Errorf("%s %s has no summary", method, path)
			}
			ok := false
			for status, resp := range op.Responses {
				code, err := strconv.Atoi(status)
				if err != nil {
					t.Errorf("%s %s: response %q is not a status", method, path, status)
					continue
				}
				if code < 300 {
					ok = true
					continue
				}
				named := 0
				for _, w := range word.FindAllString(resp.Description, -1) {
					if want, known := statusOf[w]; known {
						named++
						if want != code {
							t.Errorf("%s %s: %s is documented as %d, errors.go answers %d", method, path, w, code, want)
						}
					}
				}
				if named == 0 {
					t.Errorf("%s %s: response %d names no error code: %q", method, path, code, resp.Description)
				}
			}
			if !ok {
				t.Errorf("%s %s documents no success response", method, path)
			}
		}
	}
}
