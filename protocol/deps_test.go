package protocol

import (
	"go/build"
	"strings"
	"testing"
)

// forbiddenImports are standard packages (and their subpackages) the wire
// code must not use, each with the reason: protocol/ is pure, I/O and time
// live in the actors.
var forbiddenImports = map[string]string{
	"net":    "no sockets: the parser knows bytes, not connections",
	"os":     "no files, processes or environment",
	"time":   "no clock: timers belong to the actors",
	"log":    "no logging: errors are returned to the caller",
	"sync":   "no shared state: a Parser is owned by one goroutine",
	"unsafe": "no aliasing tricks: there are []byte and string variants instead",
}

// TestDependencies fails when the package (tests excluded) gains a forbidden
// import or one from outside the standard library. A standard package only
// imports standard packages, so checking direct imports is enough.
func TestDependencies(t *testing.T) {
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found: is the test running in the package directory?")
	}
	for _, imp := range pkg.Imports {
		for bad, reason := range forbiddenImports {
			if imp == bad || strings.HasPrefix(imp, bad+"/") {
				t.Errorf("protocol imports %s: %s", imp, reason)
			}
		}
		// Standard library paths have no dot in their first element.
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("protocol imports %s from outside the standard library", imp)
		}
	}
	t.Logf("imports: %v", pkg.Imports)
}
