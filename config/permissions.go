package config

import (
	"fmt"
	"strings"
	"time"
)

// validSubject reports whether s is a valid subject (wildcards allowed):
// non-empty tokens separated by '.', no white space, '>' only as the last
// token.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		if t == "" || strings.ContainsAny(t, " \t\r\n\f") {
			return false
		}
		if t == ">" && i != len(tokens)-1 {
			return false
		}
	}
	return true
}

// checkSubjects validates permission subjects. With queues allowed, an entry
// may be "subject queue".
func checkSubjects(list []string, queues bool) error {
	for _, s := range list {
		if validSubject(s) {
			continue
		}
		if !queues {
			return fmt.Errorf("subject %q is not a valid subject", s)
		}
		parts := strings.Fields(s)
		switch {
		case len(parts) != 2:
			return fmt.Errorf("subject %q is not a valid subject", s)
		case !validSubject(parts[0]):
			return fmt.Errorf("subject %q is not a valid subject", parts[0])
		case !validSubject(parts[1]):
			return fmt.Errorf("queue %q is not a valid queue", parts[1])
		}
	}
	return nil
}

// permissions parses a permissions block:
// { publish|pub|import, subscribe|sub|export, allow_responses }.
func (l *loader) permissions(n *node, path string) (*Permissions, bool) {
	fields, ok := n.val.([]*field)
	if !ok {
		l.errorf(n, path, "Expected permissions to be a map/struct, got %s", kind(n.val))
		return nil, false
	}
	p := &Permissions{}
	ok = true
	for _, f := range fields {
		fp := join(path, f.key)
		switch f.lkey {
		case "publish", "pub", "import":
			sp, good := l.subjectPermission(f.node, fp, false)
			ok = ok && good
			p.Publish = sp
		case "subscribe", "sub", "export":
			sp, good := l.subjectPermission(f.node, fp, true)
			ok = ok && good
			p.Subscribe = sp
		case "allow_responses", "publish_allow_responses":
			rp, good := l.responsePermission(f.node, fp)
			ok = ok && good
			p.Response = rp
		default:
			if !f.node.used {
				l.errorf(f.node, fp, "Unknown field %q parsing permissions", f.key)
				ok = false
			}
		}
	}
	// Allowing responses turns off the implicit "publish anything".
	if p.Response != nil {
		if p.Publish == nil {
			p.Publish = &SubjectPermission{}
		}
		if p.Publish.Allow == nil {
			p.Publish.Allow = []string{}
		}
	}
	return p, ok
}

// subjectPermission parses a subject, a list of subjects (= allow) or
// { allow, deny }.
func (l *loader) subjectPermission(n *node, path string, queues bool) (*SubjectPermission, bool) {
	fields, isMap := n.val.([]*field)
	if !isMap {
		subjects, ok := l.permSubjects(n, path, queues)
		if !ok {
			return nil, false
		}
		return &SubjectPermission{Allow: subjects}, true
	}
	if len(fields) == 0 {
		return nil, true
	}
	sp := &SubjectPermission{}
	ok := true
	for _, f := range fields {
		fp := join(path, f.key)
		switch f.lkey {
		case "allow":
			s, good := l.permSubjects(f.node, fp, queues)
			ok = ok && good
			sp.Allow = s
		case "deny":
			s, good := l.permSubjects(f.node, fp, queues)
			ok = ok && good
			sp.Deny = s
		default:
			if !f.node.used {
				l.errorf(f.node, fp, "Unknown field name %q parsing subject permissions, only 'allow' or 'deny' are permitted", f.key)
				ok = false
			}
		}
	}
	return sp, ok
}

// permSubjects parses a subject or an array of subjects and validates them.
// An empty array gives nil.
func (l *loader) permSubjects(n *node, path string, queues bool) ([]string, bool) {
	var subjects []string
	switch v := n.val.(type) {
	case string:
		subjects = []string{v}
	case []*node:
		for i, e := range v {
			s, ok := e.val.(string)
			if !ok {
				l.errorf(e, index(path, i), "Subject in permissions array cannot be cast to string")
				return nil, false
			}
			subjects = append(subjects, s)
		}
	default:
		l.errorf(n, path, "Expected subject permissions to be a subject, or array of subjects, got %s", kind(n.val))
		return nil, false
	}
	ok := true
	for i, s := range subjects {
		if err := checkSubjects([]string{s}, queues); err != nil {
			at, p := n, path
			if items, isArray := n.val.([]*node); isArray {
				at, p = items[i], index(path, i)
			}
			l.errorf(at, p, "%v", err)
			ok = false
		}
	}
	return subjects, ok
}

// responsePermission parses allow_responses: a boolean or { max, expires }.
func (l *loader) responsePermission(n *node, path string) (*ResponsePermission, bool) {
	rp := &ResponsePermission{MaxMsgs: DefaultResponseMaxMsgs, Expires: DefaultResponseExpires}
	switch v := n.val.(type) {
	case bool:
		if !v {
			return nil, true
		}
		return rp, true
	case []*field:
		ok := true
		for _, f := range v {
			fp := join(path, f.key)
			switch f.lkey {
			case "max", "max_msgs", "max_messages", "max_responses":
				i, good := l.integer(f.node, fp)
				if !good {
					ok = false
					continue
				}
				if i != 0 {
					rp.MaxMsgs = int(i)
				}
			case "expires", "expiration", "ttl":
				s, isStr := f.node.val.(string)
				if !isStr {
					l.errorf(f.node, fp, "error parsing expires, not a duration string")
					ok = false
					continue
				}
				d, err := time.ParseDuration(s)
				if err != nil {
					l.errorf(f.node, fp, "error parsing expires: %v", err)
					ok = false
					continue
				}
				if d != 0 {
					rp.Expires = d
				}
			default:
				if !f.node.used {
					l.errorf(f.node, fp, "Unknown field %q parsing permissions", f.key)
					ok = false
				}
			}
		}
		if !ok {
			return nil, false
		}
		return rp, true
	default:
		l.errorf(n, path, "error parsing response permissions, expected a boolean or a map")
		return nil, false
	}
}
