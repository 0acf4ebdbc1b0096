package protocol

// Subjects are tokens separated by '.'. A token is not empty and contains no
// space, tab, CR, LF or form feed. A token that is exactly "*" matches any
// one token; a token that is exactly ">" matches one or more tokens and must
// be the last one. Anything else, "a*" or "foo>" included, is literal.
//
// The functions below do not allocate. The matching functions assume valid
// subjects (check them with ValidSubject first); on invalid input they do not
// panic, but their answer is unspecified.

const (
	tokenSep        = '.'
	singleWildcard  = '*'
	fullWildcard    = '>'
	singleWildToken = "*"
	fullWildToken   = ">"
)

// ValidSubject reports whether s is a valid subject, wildcards allowed: the
// rule for SUB and LS+.
func ValidSubject(s string) bool { return validSubject(s, true) }

// ValidSubjectBytes is ValidSubject for a []byte.
func ValidSubjectBytes(s []byte) bool { return validSubject(s, true) }

// ValidLiteralSubject reports whether s is a valid subject without wildcard
// tokens: the rule for a subject to publish to.
func ValidLiteralSubject(s string) bool { return validSubject(s, false) }

// ValidLiteralSubjectBytes is ValidLiteralSubject for a []byte, for the data
// path.
func ValidLiteralSubjectBytes(s []byte) bool { return validSubject(s, false) }

func validSubject[S text](s S, wildcards bool) bool {
	if len(s) == 0 {
		return false
	}
	start := 0         // first byte of the current token
	afterFull := false // a '>' token was seen
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case tokenSep:
			case ' ', '\t', '\r', '\n', '\f':
				return false
			default:
				continue
			}
		}
		// s[start:i] is a token.
		if i == start || afterFull {
			return false
		}
		if i == start+1 {
			switch s[start] {
			case singleWildcard:
				if !wildcards {
					return false
				}
			case fullWildcard:
				if !wildcards {
					return false
				}
				afterFull = true
			}
		}
		start = i + 1
	}
	return true
}

// ValidQueueName reports whether q can be a queue group name. nats-server
// only requires one argument token: not empty, no blanks or line breaks;
// '*', '>' and '.' are ordinary characters in a queue name.
func ValidQueueName(q string) bool { return validQueueName(q) }

// ValidQueueNameBytes is ValidQueueName for a []byte.
func ValidQueueNameBytes(q []byte) bool { return validQueueName(q) }

func validQueueName[S text](q S) bool {
	if len(q) == 0 {
		return false
	}
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case ' ', '\t', '\r', '\n', '\f':
			return false
		}
	}
	return true
}

// IsLiteral reports whether s has no wildcard token. It does not check that
// s is valid.
func IsLiteral(s string) bool { return isLiteral(s) }

// IsLiteralBytes is IsLiteral for a []byte.
func IsLiteralBytes(s []byte) bool { return isLiteral(s) }

func isLiteral[S text](s S) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == singleWildcard || c == fullWildcard {
			if (i == 0 || s[i-1] == tokenSep) && (i+1 == len(s) || s[i+1] == tokenSep) {
				return false
			}
		}
	}
	return true
}

// NumTokens returns the number of tokens of s: one more than the number of
// '.' separators, 0 for "".
func NumTokens(s string) int {
	if s == "" {
		return 0
	}
	n := 1
	for i := 0; i < len(s); i++ {
		if s[i] == tokenSep {
			n++
		}
	}
	return n
}

// TokenAt returns token i of s, counting from 0, or "" when s has no such
// token.
func TokenAt(s string, i int) string {
	if i < 0 {
		return ""
	}
	for rest := s; rest != ""; i-- {
		tok, tail, more := nextToken(rest)
		if i == 0 {
			return tok
		}
		if !more {
			break
		}
		rest = tail
	}
	return ""
}

// nextToken splits s at its first '.': the token, the rest after the
// separator, and whether there was a separator.
func nextToken(s string) (tok, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == tokenSep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// SubjectMatches reports whether the literal subject is matched by pattern,
// which may contain wildcards. It is the plain token-by-token definition,
// the reference the subscription index is tested against.
func SubjectMatches(pattern, literal string) bool {
	if pattern == "" || literal == "" {
		return false
	}
	for {
		p, prest, pmore := nextToken(pattern)
		l, lrest, lmore := nextToken(literal)
		switch p {
		case fullWildToken:
			return true // literal has at least this token left
		case singleWildToken:
		default:
			if p != l {
				return false
			}
		}
		if pmore != lmore {
			return false
		}
		if !pmore {
			return true
		}
		pattern, literal = prest, lrest
	}
}

// SubjectIsSubset reports whether every literal subject matched by sub is also
// matched by of, both possibly containing wildcards. This is the test for a
// subscription against a subscribe permission: "foo.*" is a subset of
// "foo.>" and of "*.*", but not of "foo.bar".
func SubjectIsSubset(sub, of string) bool {
	if sub == "" || of == "" {
		return false
	}
	for {
		s, srest, smore := nextToken(sub)
		o, orest, omore := nextToken(of)
		switch {
		case o == fullWildToken:
			return true
		case s == fullWildToken:
			// sub matches subjects of any length here; only '>' covers that.
			return false
		case o == singleWildToken:
		case s == singleWildToken:
			return false
		case s != o:
			return false
		}
		if smore != omore {
			return false
		}
		if !smore {
			return true
		}
		sub, of = srest, orest
	}
}

// SubjectsCollide reports whether some literal subject is matched by both a
// and b, each possibly containing wildcards.
func SubjectsCollide(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	for {
		at, arest, amore := nextToken(a)
		bt, brest, bmore := nextToken(b)
		switch {
		case at == fullWildToken || bt == fullWildToken:
			return true
		case at == singleWildToken || bt == singleWildToken:
		case at != bt:
			return false
		}
		if amore != bmore {
			return false
		}
		if !amore {
			return true
		}
		a, b = arest, brest
	}
}
