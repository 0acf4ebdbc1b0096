package config

import (
	"os"
	"testing"
)

// TestOperatorErrors: operator mode refuses what nats-server's
// validateTrustedOperators refuses, located at the operator key.
func TestOperatorErrors(t *testing.T) {
	base, err := os.ReadFile("testdata/corpus/ok_operator_memory.conf")
	if err != nil {
		t.Fatal(err)
	}
	const sysPub = "ADJKF7S3QGKU7SO7NDPBLL56QQKZEJJI2ZBMKJRLLN7C2WM5ZZFPVLGF" // the operator's system account
	conf := string(base)
	checkErrorCases(t, []errorCase{
		{conf + "accounts { A: {} }\n", 2, "operator", "operators do not allow Accounts to be configured directly"},
		// No exception for the system account.
		{conf + "accounts { " + sysPub + ": {} }\n", 2, "operator", "operators do not allow Accounts to be configured directly"},
		{conf + "authorization { users [ {user: a, password: b} ] }\n", 2, "operator", "operators do not allow users to be configured directly"},
	})
}
