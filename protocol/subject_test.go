package protocol

import "testing"

func TestValidSubject(t *testing.T) {
	tests := []struct {
		s              string
		valid, literal bool
	}{
		{"foo", true, true},
		{"foo.bar.baz", true, true},
		{"$LDS.abc", true, true},
		{"_INBOX.x.*", true, false},
		{"*", true, false},
		{">", true, false},
		{"foo.>", true, false},
		{"*.*.>", true, false},
		{"a*.b>", true, true}, // partial tokens are literal
		{"foo.*bar", true, true},
		{"", false, false},
		{".", false, false},
		{"foo.", false, false},
		{".foo", false, false},
		{"foo..bar", false, false},
		{"foo.>.bar", false, false},
		{">.>", false, false},
		{"foo bar", false, false},
		{"foo\tbar", false, false},
		{"foo\r", false, false},
		{"foo\n", false, false},
		{"foo\fbar", false, false},
		{" ", false, false},
		{"\x00", true, true}, // nats-server accepts NUL without its rune check
	}
	for _, tt := range tests {
		if got := ValidSubject(tt.s); got != tt.valid {
			t.Errorf("ValidSubject(%q) = %v, want %v", tt.s, got, tt.valid)
		}
		if got := ValidLiteralSubject(tt.s); got != (tt.valid && tt.literal) {
			t.Errorf("ValidLiteralSubject(%q) = %v, want %v", tt.s, got, tt.valid && tt.literal)
		}
		if got := ValidLiteralSubjectBytes([]byte(tt.s)); got != (tt.valid && tt.literal) {
			t.Errorf("ValidLiteralSubjectBytes(%q) = %v", tt.s, got)
		}
		if tt.valid && IsLiteral(tt.s) != tt.literal {
			t.Errorf("IsLiteral(%q) = %v, want %v", tt.s, IsLiteral(tt.s), tt.literal)
		}
		if tt.valid && IsLiteralBytes([]byte(tt.s)) != tt.literal {
			t.Errorf("IsLiteralBytes(%q) = %v, want %v", tt.s, !tt.literal, tt.literal)
		}
	}
}

func TestValidQueueName(t *testing.T) {
	for q, want := range map[string]bool{
		"q1": true, "v1.*": true, ">": true, "a.b": true, "_sys_": true,
		"": false, "a b": false, "a\tb": false, "a\r": false, "\n": false,
	} {
		if ValidQueueName(q) != want || ValidQueueNameBytes([]byte(q)) != want {
			t.Errorf("ValidQueueName(%q) = %v, want %v", q, !want, want)
		}
	}
}

func TestTokens(t *testing.T) {
	if NumTokens("") != 0 || NumTokens("a") != 1 || NumTokens("a.b.c") != 3 || NumTokens("a..") != 3 {
		t.Error("NumTokens")
	}
	for _, tt := range []struct {
		s    string
		i    int
		want string
	}{
		{"a.bb.ccc", 0, "a"}, {"a.bb.ccc", 1, "bb"}, {"a.bb.ccc", 2, "ccc"}, {"a.bb.ccc", 3, ""},
		{"a.bb.ccc", -1, ""}, {"", 0, ""}, {"a..c", 1, ""}, {"a..c", 2, "c"},
	} {
		if got := TokenAt(tt.s, tt.i); got != tt.want {
			t.Errorf("TokenAt(%q, %d) = %q, want %q", tt.s, tt.i, got, tt.want)
		}
	}
}

func TestSubjectMatches(t *testing.T) {
	tests := []struct {
		pattern, literal string
		want             bool
	}{
		{"foo", "foo", true},
		{"foo", "bar", false},
		{"foo", "foo.bar", false},
		{"foo.bar", "foo", false},
		{"foo.*", "foo.bar", true},
		{"foo.*", "foo", false},
		{"foo.*", "foo.bar.baz", false},
		{"foo.>", "foo.bar", true},
		{"foo.>", "foo.bar.baz", true},
		{"foo.>", "foo", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"*", "a", true},
		{"*", "a.b", false},
		{"*.b.>", "a.b.c.d", true},
		{"*.b.>", "a.c.c.d", false},
		{"a*", "ab", false}, // a* is literal
		{"a*", "a*", true},
		{"", "a", false},
		{"a", "", false},
	}
	for _, tt := range tests {
		if got := SubjectMatches(tt.pattern, tt.literal); got != tt.want {
			t.Errorf("SubjectMatches(%q, %q) = %v, want %v", tt.pattern, tt.literal, got, tt.want)
		}
	}
}

func TestSubjectIsSubset(t *testing.T) {
	tests := []struct {
		sub, of string
		want    bool
	}{
		{"foo.bar", "foo.bar", true},
		{"foo.bar", "foo.*", true},
		{"foo.bar", "foo.>", true},
		{"foo.bar", ">", true},
		{"foo.*", "foo.>", true},
		{"foo.*", "*.*", true},
		{"foo.*", "foo.*", true},
		{"foo.>", "foo.>", true},
		{"foo.>", ">", true},
		{"foo.bar.>", "foo.*.>", true},
		{"foo.*", "foo.bar", false},
		{"foo.>", "foo.*", false},
		{"foo.>", "foo.bar.>", false},
		{"foo.*.>", "foo.bar.>", false},
		{">", "*", false},
		{">", "foo.>", false},
		{"foo", "foo.>", false},
		{"foo.bar", "foo", false},
		{"*", "foo", false},
		{"", ">", false},
	}
	for _, tt := range tests {
		if got := SubjectIsSubset(tt.sub, tt.of); got != tt.want {
			t.Errorf("SubjectIsSubset(%q, %q) = %v, want %v", tt.sub, tt.of, got, tt.want)
		}
	}
}

func TestSubjectsCollide(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"foo", "foo", true},
		{"foo", "bar", false},
		{"foo.*", "foo.bar", true},
		{"foo.*", "*.bar", true},
		{"foo.*", "bar.*", false},
		{"foo.>", "foo.bar.baz", true},
		{"foo.>", "foo", false},
		{"foo.*", "foo.*.*", false},
		{"foo.*.>", "foo.>", true},
		{"*.b.>", "a.*.c", true},
		{"*.b.c", "a.*.d", false},
		{">", "a.b", true},
		{"a.>", "*", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := SubjectsCollide(tt.a, tt.b); got != tt.want {
			t.Errorf("SubjectsCollide(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSubjectFunctionsDoNotAllocate(t *testing.T) {
	b := []byte("foo.bar.baz")
	n := allocsIn(func() {
		_ = ValidSubject("foo.*.>")
		_ = ValidLiteralSubject("foo.bar")
		_ = ValidLiteralSubjectBytes(b)
		_ = ValidQueueName("q")
		_ = IsLiteral("foo.*")
		_ = SubjectMatches("foo.*.>", "foo.bar.baz")
		_ = SubjectIsSubset("foo.*", "foo.>")
		_ = SubjectsCollide("foo.*", "*.bar")
		_ = TokenAt("foo.bar.baz", 2)
		_ = NumTokens("foo.bar.baz")
	})
	if n != 0 {
		t.Errorf("subject functions allocated %v times, want 0", n)
	}
}
