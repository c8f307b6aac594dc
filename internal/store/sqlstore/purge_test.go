package sqlstore_test

import (
	"testing"

	"github.com/anshin/anshin/internal/store/storetest"
)

// Two instances purge one database at once: two handles, each with its own
// connections (and, on SQLite, its own writer).
func TestPurgeFromTwoInstances(t *testing.T) {
	for name, url := range storeURLs(t) {
		t.Run(name, func(t *testing.T) {
			storetest.PurgeConcurrently(t, openMigrated(t, url), openMigrated(t, url))
		})
	}
}
