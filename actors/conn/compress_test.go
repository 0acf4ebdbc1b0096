package conn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/klauspost/compress/s2"

	"github.com/leafhub/leafhub/protocol"
)

// transcript records what a leaf-mode parser saw.
type transcript struct {
	protocol.NopHandler
	ops []string
}

func (t *transcript) Info(a []byte) error { t.ops = append(t.ops, "INFO "+string(a)); return nil }
func (t *transcript) Ping() error         { t.ops = append(t.ops, "PING"); return nil }
func (t *transcript) Pong() error         { t.ops = append(t.ops, "PONG"); return nil }
func (t *transcript) Err(a []byte) error  { t.ops = append(t.ops, "ERR "+string(a)); return nil }
func (t *transcript) LSub(s, q []byte, w int) error {
	t.ops = append(t.ops, fmt.Sprintf("LS+ %s %s %d", s, q, w))
	return nil
}
func (t *transcript) LUnsub(s, q []byte) error {
	t.ops = append(t.ops, fmt.Sprintf("LS- %s %s", s, q))
	return nil
}
func (t *transcript) LMsg(s, r []byte, qs [][]byte, h int, m []byte) error {
	t.ops = append(t.ops, fmt.Sprintf("LMSG %s %s %q %d %q", s, r, qs, h, m))
	return nil
}

var levels = []string{protocol.CompressS2Uncompress, protocol.CompressS2Fast, protocol.CompressS2Better, protocol.CompressS2Best}

// parseLeaf runs a leaf-mode parser over what src yields, in reads of at
// most chunk bytes, and returns the transcript and the first error.
func parseLeaf(src io.Reader, chunk int) ([]string, error) {
	p := protocol.NewParser(protocol.LeafMode, protocol.Limits{MaxControlLine: 256, MaxPayload: 1 << 16})
	h := &transcript{}
	buf := make([]byte, chunk)
	for idle := 0; ; {
		n, err := src.Read(buf)
		if n == 0 && err == nil {
			if idle++; idle > 100 {
				return h.ops, errors.New("reader makes no progress")
			}
		}
		if n > 0 {
			if perr := p.Parse(buf[:n], h); perr != nil {
				return h.ops, perr
			}
		}
		if errors.Is(err, io.EOF) {
			return h.ops, nil
		}
		if err != nil {
			return h.ops, err
		}
	}
}

// encodeBatches writes each batch as its own S2 stream, as the writer does.
func encodeBatches(t testing.TB, level string, batches ...[]byte) []byte {
	var out bytes.Buffer
	e := newS2Encoder(level)
	for _, b := range batches {
		if err := e.Encode(&out, b); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes()
}

// TestS2EncoderStreams: batches encoded at every level, and across a level
// change (s2_auto), read back as one continuous stream, as a peer's
// s2.Reader sees them.
func TestS2EncoderStreams(t *testing.T) {
	a := []byte("LS+ foo\r\nLMSG foo 5\r\nhello\r\n")
	b := bytes.Repeat([]byte("LMSG bar 11\r\ncompressible\r\n"), 1000)
	for _, lvl := range levels {
		got, err := io.ReadAll(s2.NewReader(bytes.NewReader(encodeBatches(t, lvl, a, b, a))))
		if err != nil || !bytes.Equal(got, slices.Concat(a, b, a)) {
			t.Fatalf("%s: %d bytes, %v", lvl, len(got), err)
		}
	}
	var out bytes.Buffer
	e := newS2Encoder(protocol.CompressS2Uncompress)
	_ = e.Encode(&out, b)
	uncompressed := out.Len()
	e.setLevel(protocol.CompressS2Best)
	_ = e.Encode(&out, b)
	if best := out.Len() - uncompressed; best*10 > uncompressed {
		t.Fatalf("s2_best wrote %d bytes for what s2_uncompressed wrote in %d", best, uncompressed)
	}
	got, err := io.ReadAll(s2.NewReader(&out))
	if err != nil || !bytes.Equal(got, slices.Concat(b, b)) {
		t.Fatalf("across a level change: %d bytes, %v", len(got), err)
	}
}

// FuzzS2Stream: any bytes, split into two batches and compressed at any
// level, decompress to the same bytes and parse to the same transcript as
// the clear text; and any bytes fed to the decompressor as a peer's stream
// end in data or an error, never a panic.
func FuzzS2Stream(f *testing.F) {
	for _, seed := range []string{
		"INFO {\"compression\":\"s2_fast\"}\r\nPING\r\n",
		"LS+ foo q 3\r\nLS- foo q\r\nLMSG foo + r q1 q2 2\r\nhi\r\n",
		"HMSG foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n-ERR 'Stale Connection'\r\n",
		"LMSG foo 100000\r\n",
	} {
		f.Add(uint8(1), uint16(len(seed)/2), []byte(seed))
		f.Add(uint8(3), uint16(3), encodeBatches(f, protocol.CompressS2Fast, []byte(seed)))
	}
	f.Fuzz(func(t *testing.T, level uint8, cut uint16, data []byte) {
		at := 0
		if len(data) > 0 {
			at = int(cut) % len(data)
		}
		enc := encodeBatches(t, levels[int(level)%len(levels)], data[:at], data[at:])
		got, err := io.ReadAll(s2.NewReader(bytes.NewReader(enc)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %d of %d bytes, %v", len(got), len(data), err)
		}
		clear, cerr := parseLeaf(bytes.NewReader(data), 4096)
		viaS2, serr := parseLeaf(s2.NewReader(bytes.NewReader(enc)), 1+int(cut)%64)
		// The -ERR a peer would get is the same (the log detail of an
		// error depends on where the reads split).
		ct, _ := protocol.ErrText(cerr)
		st, _ := protocol.ErrText(serr)
		if !slices.Equal(clear, viaS2) || (cerr == nil) != (serr == nil) || ct != st {
			t.Fatalf("through S2:\ngot  %q %v\nwant %q %v", viaS2, serr, clear, cerr)
		}
		// Hostile input straight into the decompressor, bounded.
		if _, err := parseLeaf(io.LimitReader(s2.NewReader(bytes.NewReader(data)), 1<<20), 512); err != nil && err.Error() == "reader makes no progress" {
			t.Fatal(err)
		}
	})
}
