package protocol

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParser: for any input, in any mode, feeding it whole, in two halves and
// (when short) one byte at a time gives the same handler transcript and the
// same error, and nothing panics.
func FuzzParser(f *testing.F) {
	for _, seed := range []string{
		"PUB foo 5\r\nhello\r\n",
		"HPUB foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
		"SUB foo q 1\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n",
		"CONNECT {\"verbose\":false}\r\nPING\r\n",
		"INFO {} \r\nLS+ foo q 3\r\nLS- foo q\r\nLMSG foo + r q1 q2 2\r\nhi\r\n",
		"HMSG foo | q 12 14\r\nNATS/1.0\r\n\r\nhi\r\n-ERR 'Stale Connection'\r\n+OK\r\n",
		"MSG foo 1 r 2\r\nhi\r\nHMSG foo 1 2 2\r\nhi\r\n",
		"PUB foo 2\r\nhiX\r\n",
		"LMSG foo x q 2\r\nhi\r\n",
		"pub\tfoo  2\nhi\r\n",
	} {
		for mode := range 3 {
			f.Add(uint8(mode), uint16(len(seed)/2), false, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, mode uint8, cut uint16, requireConnect bool, input []byte) {
		cfg := parseConfig{
			mode:           Mode(mode % 3),
			limits:         Limits{MaxControlLine: 64, MaxPayload: 256},
			requireConnect: requireConnect,
		}
		whole := cfg.run(input, nil)
		var halves []int
		if len(input) > 0 {
			halves = []int{int(cut) % len(input)}
		}
		if got := cfg.run(input, halves); !slices.Equal(got, whole) {
			t.Fatalf("cut at %v:\ngot  %q\nwant %q", halves, got, whole)
		}
		if len(input) <= 512 {
			if got := cfg.run(input, everyByte(len(input))); !slices.Equal(got, whole) {
				t.Fatalf("byte by byte:\ngot  %q\nwant %q", got, whole)
			}
		}
	})
}

// naiveValid is the subject rule written the obvious way.
func naiveValid(s string, wildcards bool) bool {
	toks := strings.Split(s, ".")
	for i, tok := range toks {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n\f") ||
			(!wildcards && (tok == "*" || tok == ">")) || (tok == ">" && i != len(toks)-1) {
			return false
		}
	}
	return true
}

// naiveMatch is SubjectMatches written the obvious way.
func naiveMatch(pattern, literal string) bool {
	p, l := strings.Split(pattern, "."), strings.Split(literal, ".")
	for i, tok := range p {
		if tok == ">" {
			return len(l) > i
		}
		if i >= len(l) || (tok != "*" && tok != l[i]) {
			return false
		}
	}
	return len(p) == len(l)
}

// instances returns literal subjects matched by pattern: each '*' becomes
// fill, and '>' becomes 1 to maxTail tokens of fill.
func instances(pattern, fill string, maxTail int) []string {
	toks := strings.Split(pattern, ".")
	for i, tok := range toks {
		if tok == "*" {
			toks[i] = fill
		}
	}
	if toks[len(toks)-1] != ">" {
		return []string{strings.Join(toks, ".")}
	}
	head := strings.Join(toks[:len(toks)-1], ".")
	var out []string
	for n := 1; n <= maxTail; n++ {
		tail := strings.Repeat(fill+".", n)
		s := head + "." + tail[:len(tail)-1]
		if head == "" {
			s = tail[:len(tail)-1]
		}
		out = append(out, s)
	}
	return out
}

// witness returns a literal matched by both a and b if one exists, by
// merging them token by token.
func witness(a, b string) (string, bool) {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	var out []string
	for i := 0; ; i++ {
		switch {
		case i == len(at) && i == len(bt):
			return strings.Join(out, "."), true
		case i == len(at) || i == len(bt):
			return "", false
		case at[i] == ">" || bt[i] == ">":
			rest := bt[i:]
			if at[i] != ">" {
				rest = at[i:]
			}
			for _, tok := range rest {
				if tok == "*" || tok == ">" {
					tok = "w"
				}
				out = append(out, tok)
			}
			return strings.Join(out, "."), true
		case at[i] == "*" && bt[i] == "*":
			out = append(out, "w")
		case at[i] == "*":
			out = append(out, bt[i])
		case bt[i] == "*" || at[i] == bt[i]:
			out = append(out, at[i])
		default:
			return "", false
		}
	}
}

// FuzzSubject checks the subject functions against the naive versions:
// validity and matching agree exactly; SubjectIsSubset and SubjectsCollide
// agree with SubjectMatches on literals built from the patterns.
func FuzzSubject(f *testing.F) {
	for _, seed := range [][2]string{
		{"foo.bar", "foo.bar"}, {"foo.*", "foo.bar"}, {"foo.>", "foo.bar.baz"},
		{">", "a"}, {"*.*", "a.b"}, {"foo..bar", "foo"}, {"a.>.b", "a.x.b"},
		{"a*.b", "a*.b"}, {"foo.*", "foo.>"}, {"*.b.>", "a.*.c"}, {"", "a"},
		{"a b", "a"}, {"a.*", "*.b"}, {"$LDS.x", "$LDS.>"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []string{a, b} {
			if got, want := ValidSubject(s), s != "" && naiveValid(s, true); got != want {
				t.Fatalf("ValidSubject(%q) = %v, want %v", s, got, want)
			}
			if got, want := ValidLiteralSubject(s), s != "" && naiveValid(s, false); got != want {
				t.Fatalf("ValidLiteralSubject(%q) = %v, want %v", s, got, want)
			}
			if ValidSubjectBytes([]byte(s)) != ValidSubject(s) || ValidLiteralSubjectBytes([]byte(s)) != ValidLiteralSubject(s) {
				t.Fatalf("string and []byte validity differ for %q", s)
			}
			if got, want := NumTokens(s), len(strings.Split(s, ".")); s != "" && got != want {
				t.Fatalf("NumTokens(%q) = %d, want %d", s, got, want)
			}
			for i, tok := range strings.Split(s, ".") {
				if got := TokenAt(s, i); got != tok {
					t.Fatalf("TokenAt(%q, %d) = %q, want %q", s, i, got, tok)
				}
			}
		}
		if !ValidSubject(a) || !ValidSubject(b) {
			return
		}
		if ValidLiteralSubject(b) {
			if got, want := SubjectMatches(a, b), naiveMatch(a, b); got != want {
				t.Fatalf("SubjectMatches(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
		if IsLiteral(a) != ValidLiteralSubject(a) {
			t.Fatalf("IsLiteral(%q) = %v on a valid subject", a, IsLiteral(a))
		}

		// Subset: every instance of a must match b; if not a subset, an
		// instance with a token b cannot name must escape b.
		fill := "\x01fill"
		subset := SubjectIsSubset(a, b)
		escaped := false
		for _, lit := range instances(a, fill, NumTokens(b)+1) {
			if !SubjectMatches(a, lit) {
				t.Fatalf("instance %q does not match its pattern %q", lit, a)
			}
			m := SubjectMatches(b, lit)
			if subset && !m {
				t.Fatalf("SubjectIsSubset(%q, %q) but %q matches only the first", a, b, lit)
			}
			escaped = escaped || !m
		}
		if !subset && !escaped {
			t.Fatalf("SubjectIsSubset(%q, %q) = false but every instance matches both", a, b)
		}
		if SubjectIsSubset(a, a) != true {
			t.Fatalf("SubjectIsSubset(%q, itself) = false", a)
		}

		// Collision: symmetric, and true exactly when a common literal exists.
		collide := SubjectsCollide(a, b)
		if collide != SubjectsCollide(b, a) {
			t.Fatalf("SubjectsCollide(%q, %q) is not symmetric", a, b)
		}
		w, ok := witness(a, b)
		if ok && (!SubjectMatches(a, w) || !SubjectMatches(b, w)) {
			t.Fatalf("test witness %q for %q, %q is wrong", w, a, b)
		}
		if collide != ok {
			t.Fatalf("SubjectsCollide(%q, %q) = %v, but a common literal exists: %v (%q)", a, b, collide, ok, w)
		}
		if subset && !collide {
			t.Fatalf("%q is a subset of %q but they do not collide", a, b)
		}
	})
}
