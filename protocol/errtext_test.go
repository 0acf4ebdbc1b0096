package protocol

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// The texts as nats-server v2.15.2 writes them (spec 1.8, 5.1; several observed).
func TestErrTexts(t *testing.T) {
	tests := []struct{ got, want string }{
		{PermPubText("foo.bar"), `Permissions Violation for Publish to "foo.bar"`},
		{PermSubText("foo.>", ""), `Permissions Violation for Subscription to "foo.>"`},
		{PermSubText("foo", "q1"), `Permissions Violation for Subscription to "foo" using queue "q1"`},
		{PermReplyText("_R_.x"), `Permissions Violation for Publish with Reply of "_R_.x"`},
		{LoopDetectedText("$G"), `Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s`},
		{MinVersionText("2.8.0"), `connection rejected since minimum version required is "2.8.0"`},
		{GatewayRejectedText("B"), `Rejecting connection from gateway "B" on the leafnode port`},
		{UnsupportedCompressionText("s3"), `unsupported route compression mode "s3"`},
		// %q quoting: quotes, backslashes and control bytes are escaped.
		{PermPubText("a\"b\\c\x01"), `Permissions Violation for Publish to "a\"b\\c\x01"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLeafErrReaction(t *testing.T) {
	tests := []struct {
		text string
		want LeafErrReaction
	}{
		{LoopDetectedText("A"), ReactLoop},
		{ErrTextSameClusterName, ReactSameCluster},
		{MinVersionText("2.10.0"), ReactMinVersion},
		{ErrTextStale, ReactNone},
		{ErrTextAuthViolation, ReactNone},
		{"", ReactNone},
	}
	for _, tt := range tests {
		if got := LeafErrReactionOf(tt.text); got != tt.want {
			t.Errorf("LeafErrReactionOf(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	if ReactMinVersion.String() != "min-version" || LeafErrReaction(9).String() != "LeafErrReaction(9)" {
		t.Error("LeafErrReaction.String")
	}
}

// Each -ERR text is spelled once in the package, in errtext.go: no other
// source file may carry it as a string literal.
func TestErrTextsSpelledOnce(t *testing.T) {
	pkg, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{} // value -> constant name
	literals := map[string][]string{}
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if strings.HasPrefix(id.Name, "ErrText") && i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok {
							v, _ := strconv.Unquote(lit.Value)
							texts[v] = id.Name
						}
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					v, _ := strconv.Unquote(n.Value)
					literals[v] = append(literals[v], name)
				}
			}
			return true
		})
	}
	if len(texts) < 25 {
		t.Fatalf("found only %d ErrText constants", len(texts))
	}
	for v, name := range texts {
		if files := literals[v]; len(files) != 1 || files[0] != "errtext.go" {
			t.Errorf("%s (%q) is spelled in %v, want once in errtext.go", name, v, files)
		}
	}
}
