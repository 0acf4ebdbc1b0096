package config

import (
	"fmt"
	"strings"
)

// Error is one configuration problem. It names the file, line and column of
// the offending value (when known), the key path such as
// "leafnodes.remotes[0].url" and the reason.
type Error struct {
	File   string // file the value came from; "<string>" for Parse
	Line   int    // 1-based line, 0 when unknown
	Col    int    // column as reported by the conf parser, 0 when unknown
	Key    string // key path, empty for syntax errors
	Reason string

	cause error // underlying error, if any (for errors.Is/As)
}

// Error formats the problem as "file:line:col: key: reason". Parts that are
// unknown are left out.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" || e.Line > 0 {
		fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the underlying error, for example the *fs.PathError of a
// missing configuration file.
func (e *Error) Unwrap() error { return e.cause }

// Errors is the list of all problems found in a configuration. Load, Parse
// and Validate return it (never an empty one) when the configuration is bad.
type Errors struct {
	List []*Error
}

// Error returns all problems, one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, err := range e.List {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual problems so that errors.Is and errors.As
// can look into them.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.List))
	for i, err := range e.List {
		out[i] = err
	}
	return out
}

// position is where a value was found in the configuration.
type position struct {
	file      string
	line, col int
}

// newError builds an Error located at pos.
func newError(pos position, key, reason string) *Error {
	return &Error{File: pos.file, Line: pos.line, Col: pos.col, Key: key, Reason: reason}
}

// errorList turns collected errors into an error value: nil when there are
// none, *Errors otherwise.
func errorList(list []*Error) error {
	if len(list) == 0 {
		return nil
	}
	return &Errors{List: list}
}
