package config

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// token is what the nats-server conf parser wraps every value in when it
// runs in pedantic mode ("with checks").
type token interface {
	Value() any
	Line() int
	Position() int
	SourceFile() string
	IsUsedVariable() bool
}

// node is an unwrapped configuration value with its position. val is one of
// string, int64, float64, bool, time.Time, []*node (array) or []*field (map).
type node struct {
	pos  position
	used bool // the key only defines a variable that is referenced elsewhere
	val  any
}

// field is one key of a map, in source order.
type field struct {
	key  string // as written
	lkey string // lower case, for case-insensitive matching
	node *node
}

// unwrap converts the parser output into a node tree. Values that are not
// tokens (only the top-level map) get the position of their parent.
func unwrap(v any, parent position, stringName string) *node {
	n := &node{pos: parent}
	if tk, ok := v.(token); ok {
		file := tk.SourceFile()
		if file == "" {
			file = stringName
		}
		n.pos = position{file: file, line: tk.Line(), col: tk.Position()}
		n.used = tk.IsUsedVariable()
		v = tk.Value()
	}
	switch x := v.(type) {
	case map[string]any:
		fields := make([]*field, 0, len(x))
		for k, e := range x {
			fields = append(fields, &field{key: k, lkey: strings.ToLower(k), node: unwrap(e, n.pos, stringName)})
		}
		sortFields(fields)
		n.val = fields
	case []any:
		items := make([]*node, len(x))
		for i, e := range x {
			items[i] = unwrap(e, n.pos, stringName)
		}
		n.val = items
	default:
		n.val = v
	}
	return n
}

// sortFields puts map keys in source order so that processing and error
// reports are deterministic.
func sortFields(fields []*field) {
	sort.SliceStable(fields, func(i, j int) bool {
		a, b := fields[i].node.pos, fields[j].node.pos
		if a.file != b.file {
			return a.file < b.file
		}
		if a.line != b.line {
			return a.line < b.line
		}
		if a.col != b.col {
			return a.col < b.col
		}
		return fields[i].key < fields[j].key
	})
}

// kind names the type of a value for error messages.
func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case time.Time:
		return "date"
	case []*node:
		return "array"
	case []*field:
		return "map"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// join appends a key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends an array index to a key path.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// typeError reports a value of the wrong type.
func (l *loader) typeError(n *node, path, want string) {
	l.errorf(n, path, "expected %s, got %s", want, kind(n.val))
}

func (l *loader) str(n *node, path string) (string, bool) {
	s, ok := n.val.(string)
	if !ok {
		l.typeError(n, path, "a string")
	}
	return s, ok
}

func (l *loader) integer(n *node, path string) (int64, bool) {
	i, ok := n.val.(int64)
	if !ok {
		l.typeError(n, path, "an integer")
	}
	return i, ok
}

func (l *loader) boolean(n *node, path string) (bool, bool) {
	b, ok := n.val.(bool)
	if !ok {
		l.typeError(n, path, "a boolean")
	}
	return b, ok
}

func (l *loader) mapping(n *node, path string) ([]*field, bool) {
	m, ok := n.val.([]*field)
	if !ok {
		l.typeError(n, path, "a map")
	}
	return m, ok
}

func (l *loader) array(n *node, path string) ([]*node, bool) {
	a, ok := n.val.([]*node)
	if !ok {
		l.typeError(n, path, "an array")
	}
	return a, ok
}

// stringList accepts a single string or an array of strings.
func (l *loader) stringList(n *node, path string) ([]string, bool) {
	switch v := n.val.(type) {
	case string:
		return []string{v}, true
	case []*node:
		out := make([]string, 0, len(v))
		ok := true
		for i, e := range v {
			s, good := e.val.(string)
			if !good {
				l.typeError(e, index(path, i), "a string")
				ok = false
				continue
			}
			out = append(out, s)
		}
		return out, ok
	default:
		l.typeError(n, path, "a string or an array of strings")
		return nil, false
	}
}

// duration reads a duration string such as "2s". Like nats-server, a plain
// number is accepted as seconds, with a warning.
func (l *loader) duration(n *node, path string) (time.Duration, bool) {
	switch v := n.val.(type) {
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			l.errorf(n, path, "error parsing %s: %v", lastKey(path), err)
			return 0, false
		}
		return d, true
	case int64:
		d := time.Duration(v) * time.Second
		hint := ""
		if v >= 1000 && v%1000 == 0 {
			hint = " (unquoted, 2m is the number 2000000)"
		}
		l.warnf(n, path, "plain number for duration read as seconds (%v); use a quoted duration string such as \"%v\"%s", d, d, hint)
		return d, true
	default:
		l.typeError(n, path, "a duration")
		return 0, false
	}
}

// seconds reads a timeout given as a number of seconds (integer or float)
// or as a duration string, as the authorization blocks do.
func (l *loader) seconds(n *node, path, block string) (time.Duration, bool) {
	var d time.Duration
	switch v := n.val.(type) {
	case int64:
		d = time.Duration(v) * time.Second
	case float64:
		d = time.Duration(v * float64(time.Second))
	case string:
		pd, err := time.ParseDuration(v)
		if err != nil {
			l.errorf(n, path, "error parsing %s config, 'timeout' %s", block, err)
			return 0, false
		}
		d = pd
	default:
		l.errorf(n, path, "error parsing %s config, 'timeout' wrong type", block)
		return 0, false
	}
	if d > 60*time.Second {
		l.warnf(n, path, "timeout of %v (%f seconds) is high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example", n.val, d.Seconds())
	}
	return d, true
}

// lastKey returns the last element of a key path.
func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
