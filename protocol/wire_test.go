package protocol

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected transcripts in testdata/wire")

// A wire case is written in testdata/wire/*.txt as
//
//	# comments
//	parse mode=client|leaf|server [maxcontrol=N] [maxpayload=N] [requireconnect] [fail=CALLBACK]
//	input bytes, one or more lines, concatenated without line breaks;
//	\r \n \t \\ \s (space) and \xHH are escapes
//	----
//	expected transcript, one call per line, then the error if any
//
// and cases are separated by blank lines. Each case runs with the input
// whole, one byte at a time and at random split points; all must give the
// expected transcript. With -update the expected parts are rewritten from
// the whole-input run: review the diff before committing it.
type wireCase struct {
	file     string
	line     int
	header   string
	config   parseConfig
	input    []byte
	inputSrc []string
	expected []string
}

func TestWireTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/wire/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no wire transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cases := readWireCases(t, file)
			rnd := rand.New(rand.NewPCG(1, uint64(len(cases))))
			for i := range cases {
				c := &cases[i]
				whole := c.config.run(c.input, nil)
				if *update {
					c.expected = whole
					continue
				}
				if !slices.Equal(whole, c.expected) {
					t.Errorf("%s:%d: whole input:\ngot:\n%s\nwant:\n%s", c.file, c.line,
						strings.Join(whole, "\n"), strings.Join(c.expected, "\n"))
					continue
				}
				if got := c.config.run(c.input, everyByte(len(c.input))); !slices.Equal(got, whole) {
					t.Errorf("%s:%d: byte by byte:\ngot:\n%s\nwant:\n%s", c.file, c.line,
						strings.Join(got, "\n"), strings.Join(whole, "\n"))
				}
				for range 20 {
					cuts := randomCuts(rnd, len(c.input), 1+rnd.IntN(4))
					if got := c.config.run(c.input, cuts); !slices.Equal(got, whole) {
						t.Errorf("%s:%d: cut at %v:\ngot:\n%s\nwant:\n%s", c.file, c.line, cuts,
							strings.Join(got, "\n"), strings.Join(whole, "\n"))
						break
					}
				}
			}
			if *update {
				writeWireCases(t, file, cases)
			}
		})
	}
}

func readWireCases(t *testing.T, file string) []wireCase {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cases []wireCase
	var c *wireCase
	inExpected := false
	for n, line := range strings.Split(string(data), "\n") {
		switch {
		case c == nil && (line == "" || strings.HasPrefix(line, "#")):
			continue
		case c == nil:
			cfg, err := parseWireHeader(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, n+1, err)
			}
			cases = append(cases, wireCase{file: file, line: n + 1, header: line, config: cfg})
			c = &cases[len(cases)-1]
			inExpected = false
		case line == "----" && !inExpected:
			inExpected = true
		case !inExpected:
			b, err := unescapeWire(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, n+1, err)
			}
			c.input = append(c.input, b...)
			c.inputSrc = append(c.inputSrc, line)
		case line == "":
			c = nil
		default:
			c.expected = append(c.expected, line)
		}
	}
	return cases
}

func writeWireCases(t *testing.T, file string, cases []wireCase) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the leading comment block, regenerate the rest.
	var out bytes.Buffer
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		out.WriteString(line + "\n")
	}
	for _, c := range cases {
		fmt.Fprintf(&out, "\n%s\n%s\n----\n", c.header, strings.Join(c.inputSrc, "\n"))
		for _, l := range c.expected {
			out.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func parseWireHeader(line string) (parseConfig, error) {
	var c parseConfig
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != "parse" {
		return c, fmt.Errorf("want a 'parse ...' line, got %q", line)
	}
	for _, f := range fields[1:] {
		key, val, _ := strings.Cut(f, "=")
		switch key {
		case "mode":
			switch val {
			case "client":
				c.mode = ClientMode
			case "leaf":
				c.mode = LeafMode
			case "server":
				c.mode = ServerMode
			default:
				return c, fmt.Errorf("unknown mode %q", val)
			}
		case "maxcontrol", "maxpayload":
			n, err := strconv.Atoi(val)
			if err != nil {
				return c, err
			}
			if key == "maxcontrol" {
				c.limits.MaxControlLine = n
			} else {
				c.limits.MaxPayload = n
			}
		case "requireconnect":
			c.requireConnect = true
		case "fail":
			c.failOn = val
		default:
			return c, fmt.Errorf("unknown option %q", f)
		}
	}
	return c, nil
}

// unescapeWire decodes the escapes of a wire input line.
func unescapeWire(s string) ([]byte, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		i++
		if i == len(s) {
			return nil, fmt.Errorf("trailing backslash in %q", s)
		}
		switch s[i] {
		case 'r':
			b = append(b, '\r')
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 's':
			b = append(b, ' ')
		case '\\':
			b = append(b, '\\')
		case 'x':
			if i+3 > len(s) {
				return nil, fmt.Errorf("short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, err
			}
			b = append(b, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return b, nil
}
