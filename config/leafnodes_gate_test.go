package config

import (
	"strings"
	"testing"
)

// The leafnodes block is parsed and validated by the tests of this package as
// if leafnode connections were implemented; TestLeafnodesRefusedUntilImplemented
// checks what users get today.
func init() { leafnodesImplemented = true }

func TestLeafnodesRefusedUntilImplemented(t *testing.T) {
	leafnodesImplemented = false
	defer func() { leafnodesImplemented = true }()
	_, err := Parse("port: 4222\nleafnodes {\n  port: 7422\n}\n")
	if err == nil || !strings.Contains(err.Error(), "<string>:2") || !strings.Contains(err.Error(), "leafnodes") ||
		!strings.Contains(err.Error(), unsupportedReason) {
		t.Fatalf("got %v, want the leafnodes block refused as unsupported at line 2", err)
	}
}
