// Package demo holds the demo's switches (see README.md): BKTEC_EXAMPLE_FAIL=1
// makes one test fail for real; BKTEC_EXAMPLE_FLAKY_DIR=<dir> makes one test
// fail once, until it has left a marker file in <dir>.
package demo

import (
	"os"
	"path/filepath"
)

// Fail reports whether the real failure is switched on.
func Fail() bool { return os.Getenv("BKTEC_EXAMPLE_FAIL") == "1" }

// FlakyFailsNow reports whether the flaky test named name fails this time.
func FlakyFailsNow(name string) bool {
	dir := os.Getenv("BKTEC_EXAMPLE_FLAKY_DIR")
	if dir == "" {
		return false
	}
	marker := filepath.Join(dir, name)
	if _, err := os.Stat(marker); err == nil {
		return false
	}
	_ = os.WriteFile(marker, []byte("failed once\n"), 0o644)
	return true
}
