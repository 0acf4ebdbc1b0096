package protocol

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"testing/iotest"

	kflate "github.com/klauspost/compress/flate"
)

// rfcKey is the masking key of RFC 6455's examples (section 5.7).
var rfcKey = []byte{0x37, 0xfa, 0x21, 0x3d}

// rfcNonce is the Sec-WebSocket-Key bytes of RFC 6455 section 1.3.
var rfcNonce = [16]byte([]byte("the sample nonce"))

// keys is a deterministic masking key source: 4-byte keys counting up from
// 1 (0x01010101, 0x02020202, ...).
type keys struct{ n byte }

func (k *keys) Read(p []byte) (int, error) {
	for i := range p {
		if i%4 == 0 {
			k.n++
		}
		p[i] = k.n
	}
	return len(p), nil
}

// chunks is a source that returns its pieces one Read at a time.
type chunks [][]byte

func (c *chunks) Read(p []byte) (int, error) {
	for len(*c) > 0 && len((*c)[0]) == 0 {
		*c = (*c)[1:]
	}
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	(*c)[0] = (*c)[0][n:]
	return n, nil
}

// split cuts b at the given offsets.
func split(b []byte, cuts ...int) *chunks {
	var c chunks
	last := 0
	for _, cut := range cuts {
		c = append(c, b[last:cut])
		last = cut
	}
	c = append(c, b[last:])
	return &c
}

// wsRun is what reading a stream gives: the application bytes, the control
// frames handed out, and the final error.
type wsRun struct {
	out      []byte
	controls [][]byte
	err      error
}

// readWS reads src to its end with reads of size bytes.
func readWS(src io.Reader, opts WSOptions, size int) (wsRun, *WSReader) {
	var run wsRun
	if opts.Rand == nil {
		opts.Rand = &keys{}
	}
	opts.Control = func(f []byte) { run.controls = append(run.controls, bytes.Clone(f)) }
	r := NewWSReader(src, opts)
	p := make([]byte, size)
	for {
		n, err := r.Read(p)
		run.out = append(run.out, p[:n]...)
		if err != nil {
			run.err = err
			return run, r
		}
	}
}

// errClass names an error for comparisons: a WSError by its close frame and
// cause class, anything else by its text.
func errClass(err error) string {
	var we *WSError
	if errors.As(err, &we) {
		return fmt.Sprintf("ws %d %q toobig=%v", we.Code, we.Text, errors.Is(err, ErrWSMessageTooBig))
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func (a wsRun) String() string {
	return fmt.Sprintf("out %q controls %x err %s", a.out, a.controls, errClass(a.err))
}

func hexBytes(s string) []byte {
	var b []byte
	for f := range strings.FieldsSeq(s) {
		var v byte
		fmt.Sscanf(f, "%x", &v)
		b = append(b, v)
	}
	return b
}

func TestWSAcceptKeyRFC(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(rfcNonce[:])
	if key != "dGhlIHNhbXBsZSBub25jZQ==" {
		t.Fatalf("nonce encodes as %q", key)
	}
	if got := WSAcceptKey(key); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("WSAcceptKey = %q", got)
	}
}

// TestWSReaderRFCExamples reads the frames of RFC 6455 section 5.7.
func TestWSReaderRFCExamples(t *testing.T) {
	server := WSOptions{}                            // the peer is a client: masked frames
	client := WSOptions{Client: true}                // the peer is a server: unmasked frames
	lax := WSOptions{NoMasking: true}                // no-masking granted: either
	maskedPong := "8a 85 37 fa 21 3d 7f 9f 4d 51 58" // the RFC's masked "Hello" pong
	for _, tc := range []struct {
		name     string
		opts     WSOptions
		in       string
		out      string
		controls []string
		err      error
	}{
		{"unmasked text", client, "81 05 48 65 6c 6c 6f", "Hello", nil, io.EOF},
		{"masked text", server, "81 85 37 fa 21 3d 7f 9f 4d 51 58", "Hello", nil, io.EOF},
		{"masked text, no-masking granted", lax, "81 85 37 fa 21 3d 7f 9f 4d 51 58", "Hello", nil, io.EOF},
		{"unmasked text, no-masking granted", lax, "81 05 48 65 6c 6c 6f", "Hello", nil, io.EOF},
		{"fragmented", client, "01 03 48 65 6c 80 02 6c 6f", "Hello", nil, io.EOF},
		{"ping between fragments", client, "01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f", "Hello", []string{maskedPong}, io.EOF},
		{"masked ping", server, "89 85 37 fa 21 3d 7f 9f 4d 51 58", "", []string{"8a 05 48 65 6c 6c 6f"}, io.EOF},
		{"pong ignored", client, "8a 05 48 65 6c 6c 6f 82 01 21", "!", nil, io.EOF},
		{"empty ping", client, "89 00", "", []string{"8a 80 37 fa 21 3d"}, io.EOF},
		{"empty frames", client, "02 00 00 00 80 00 82 00", "", nil, io.EOF},
		{"cut in the header", client, "82 7e 01", "", nil, io.ErrUnexpectedEOF},
		{"cut in the payload", client, "82 05 48 65", "He", nil, io.ErrUnexpectedEOF},
		{"cut in the mask key", server, "82 85 37 fa", "", nil, io.ErrUnexpectedEOF},
		{"cut in a control frame", client, "89 05 48", "", nil, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Rand = bytes.NewReader(rfcKey)
			got, _ := readWS(bytes.NewReader(hexBytes(tc.in)), opts, 64)
			var want [][]byte
			for _, c := range tc.controls {
				want = append(want, hexBytes(c))
			}
			if string(got.out) != tc.out || fmt.Sprintf("%x", got.controls) != fmt.Sprintf("%x", want) || got.err != tc.err {
				t.Errorf("got %v\nwant out %q controls %x err %v", got, tc.out, want, tc.err)
			}
		})
	}
}

// TestWSReaderLengths reads the RFC's 256-byte and 64 KiB frames.
func TestWSReaderLengths(t *testing.T) {
	for _, n := range []int{125, 126, 256, 65535, 65536, 200000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		var in []byte
		switch {
		case n <= 125:
			in = append(in, 0x82, byte(n))
		case n <= 65535:
			in = append(in, 0x82, 0x7e, byte(n>>8), byte(n))
		default:
			in = append(in, 0x82, 0x7f, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		in = append(in, payload...)
		got, _ := readWS(bytes.NewReader(in), WSOptions{Client: true}, 10000)
		if !bytes.Equal(got.out, payload) || got.err != io.EOF {
			t.Errorf("%d bytes: got %d bytes, %v", n, len(got.out), got.err)
		}
	}
	if got := hexBytes("82 7e 01 00"); !bytes.Equal(frameHeader(t, 256, false), got) {
		t.Errorf("256-byte header %x", frameHeader(t, 256, false))
	}
	if got := hexBytes("82 7f 00 00 00 00 00 01 00 00"); !bytes.Equal(frameHeader(t, 65536, false), got) {
		t.Errorf("64 KiB header %x", frameHeader(t, 65536, false))
	}
}

// frameHeader is the header the writer puts before n bytes.
func frameHeader(t *testing.T, n int, mask bool) []byte {
	t.Helper()
	out, err := NewWSWriter(WSOptions{Client: mask, Rand: &keys{}}).AppendFrames(nil, make([]byte, n))
	if err != nil {
		t.Fatal(err)
	}
	return out[:len(out)-n]
}

// TestWSReaderViolations: every frame nats-server refuses gives its close
// status and text, and nothing is handed out.
func TestWSReaderViolations(t *testing.T) {
	server, client := WSOptions{}, WSOptions{Client: true}
	zserver := WSOptions{Compress: true}
	proto := func(text string) string { return fmt.Sprintf("ws 1002 %q toobig=false", text) }
	for _, tc := range []struct {
		name string
		opts WSOptions
		in   string
		out  string
		err  string
	}{
		{"RSV2", client, "a2 00", "", proto("RSV2 and RSV3 must be clear")},
		{"RSV3 checked on the first byte alone", client, "92", "", proto("RSV2 and RSV3 must be clear")},
		{"RSV1 without compression", client, "c2 00", "", proto("compressed frame received without negotiated permessage-deflate")},
		{"RSV1 on a control frame, without compression", client, "c9 00", "", proto("compressed frame received without negotiated permessage-deflate")},
		{"unmasked frame from a client", server, "82 01 21", "", proto("mask bit missing")},
		{"mask checked before the opcode", server, "83 00", "", proto("mask bit missing")},
		{"masked frame from a server", client, "82 81 00 00 00 00 21", "", proto("masked frame from server")},
		{"control frame too long", client, "89 7e 00 7e", "", proto("control frame length bigger than maximum allowed of 125 bytes")},
		{"control frame too long, seen in the 7-bit length", client, "88 7f", "", proto("control frame length bigger than maximum allowed of 125 bytes")},
		{"fragmented control frame", client, "09 00", "", proto("control frame does not have final bit set")},
		{"compressed control frame", WSOptions{Client: true, Compress: true}, "c9 00", "", proto("control frame must not be compressed")},
		{"message inside a message", client, "01 01 61 82 01 62", "a", proto("new message started before final frame for previous message was received")},
		{"continuation without a start", client, "80 01 61", "", proto("invalid continuation frame")},
		{"continuation after a complete message", client, "82 01 61 00 01 62", "a", proto("invalid continuation frame")},
		{"RSV1 on a continuation", WSOptions{Client: true, Compress: true}, "01 01 61 c0 01 62", "a", proto("invalid continuation frame")},
		{"opcode 3", client, "83 00", "", proto("unknown opcode 3")},
		{"opcode 11", client, "8b 00", "", proto("unknown opcode 11")},
		{"opcode 15 non-final", client, "0f 00", "", proto("unknown opcode 15")},
		{"64-bit length with the top bit", client, "82 7f 80 00 00 00 00 00 00 01", "", proto("invalid 64-bit payload length")},
		{"1-byte close payload", client, "88 01 03", "", proto("close frame payload cannot be 1 byte")},
		{"close status 999", client, "88 02 03 e7", "", proto("invalid close status code 999")},
		{"close status 1004", client, "88 02 03 ec", "", proto("invalid close status code 1004")},
		{"close status 1005", client, "88 02 03 ed", "", proto("invalid close status code 1005")},
		{"close status 1006", client, "88 02 03 ee", "", proto("invalid close status code 1006")},
		{"close status 1015", client, "88 02 03 f7", "", proto("invalid close status code 1015")},
		{"close status 1016", client, "88 02 03 f8", "", proto("invalid close status code 1016")},
		{"close status 2999", client, "88 02 0b b7", "", proto("invalid close status code 2999")},
		{"close status 5000", client, "88 02 13 88", "", proto("invalid close status code 5000")},
		{"compressed data does not inflate", zserver, "c2 82 00 00 00 00 ff ff", "", `ws 1001 "Read Error" toobig=false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := readWS(bytes.NewReader(hexBytes(tc.in)), tc.opts, 64)
			if string(got.out) != tc.out || errClass(got.err) != tc.err || len(got.controls) != 0 {
				t.Errorf("got %v\nwant out %q err %s", got, tc.out, tc.err)
			}
			// One byte at a time gives the same.
			again, _ := readWS(iotest.OneByteReader(bytes.NewReader(hexBytes(tc.in))), tc.opts, 1)
			if again.String() != got.String() {
				t.Errorf("byte by byte: %v", again)
			}
		})
	}
}

// TestWSReaderClose: a close frame is echoed as nats-server echoes it,
// then Read returns io.EOF, also with bytes following it.
func TestWSReaderClose(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		echo       string
		code       int
		text       string
		afterClose string
	}{
		{"no payload", "88 00", "88 80 01 01 01 01", WSCloseNoStatus, "", ""},
		{"status only", "88 02 03 e8", "88 82 01 01 01 01 02 e9", WSCloseNormal, "", ""},
		{"status and text", "88 05 03 e8 62 79 65", "88 85 01 01 01 01 02 e9 63 78 64", WSCloseNormal, "bye", ""},
		{"status 3000", "88 02 0b b8", "88 82 01 01 01 01 0a b9", 3000, "", ""},
		{"status 4999", "88 02 13 87", "88 82 01 01 01 01 12 86", 4999, "", ""},
		{"invalid UTF-8 text", "88 03 03 e8 ff",
			"88 a2 01 01 01 01 02 ee " + hexOf(maskWith(0x01, append([]byte{}, "invalid utf8 body in close frame"...))),
			WSCloseNormal, "\xff", ""},
		{"data after the close is not read", "88 00 82 01 21", "88 80 01 01 01 01", WSCloseNoStatus, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, r := readWS(bytes.NewReader(hexBytes(tc.in)), WSOptions{Client: true}, 64)
			if got.err != io.EOF || len(got.out) != 0 || len(got.controls) != 1 || !bytes.Equal(got.controls[0], hexBytes(tc.echo)) {
				t.Fatalf("got %v\nwant echo %s", got, tc.echo)
			}
			code, text, ok := r.PeerClose()
			if !ok || code != tc.code || text != tc.text {
				t.Errorf("PeerClose = %d %q %v", code, text, ok)
			}
			// The server role echoes unmasked.
			in := maskFrames(t, hexBytes(tc.in))
			got, _ = readWS(bytes.NewReader(in), WSOptions{}, 64)
			if got.err != io.EOF || len(got.controls) != 1 || !bytes.Equal(got.controls[0], unmaskFrame(hexBytes(tc.echo))) {
				t.Errorf("server role: %v", got)
			}
		})
	}
	// Read keeps returning io.EOF.
	r := NewWSReader(bytes.NewReader(hexBytes("88 00")), WSOptions{Client: true})
	for range 2 {
		if n, err := r.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Errorf("Read = %d %v", n, err)
		}
	}
}

func hexOf(b []byte) string {
	var s []string
	for _, c := range b {
		s = append(s, fmt.Sprintf("%02x", c))
	}
	return strings.Join(s, " ")
}

func maskWith(k byte, b []byte) []byte {
	for i := range b {
		b[i] ^= k
	}
	return b
}

// maskFrames re-encodes unmasked frames masked with the key 00 00 00 00.
func maskFrames(t *testing.T, in []byte) []byte {
	t.Helper()
	var out []byte
	for len(in) > 0 {
		n := int(in[1] & 0x7f)
		if n > 125 {
			t.Fatal("maskFrames handles short frames only")
		}
		out = append(out, in[0], in[1]|0x80, 0, 0, 0, 0)
		out = append(out, in[2:2+n]...)
		in = in[2+n:]
	}
	return out
}

// unmaskFrame removes the masking of one short frame.
func unmaskFrame(f []byte) []byte {
	n := int(f[1] & 0x7f)
	out := []byte{f[0], f[1] &^ 0x80}
	for i := range n {
		out = append(out, f[6+i]^f[2+i%4])
	}
	return out
}

// TestWSWriterFrames checks the exact frames written.
func TestWSWriterFrames(t *testing.T) {
	hello := []byte("Hello")
	for _, tc := range []struct {
		name string
		opts WSOptions
		in   []byte
		want string
	}{
		{"server", WSOptions{}, hello, "82 05 48 65 6c 6c 6f"},
		{"client masks", WSOptions{Client: true}, hello, "82 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"client with no-masking", WSOptions{Client: true, NoMasking: true}, hello, "82 05 48 65 6c 6c 6f"},
		{"server ignores no-masking", WSOptions{NoMasking: true}, hello, "82 05 48 65 6c 6c 6f"},
		{"compression leaves small batches alone", WSOptions{Compress: true}, hello, "82 05 48 65 6c 6c 6f"},
		{"split into messages", WSOptions{MaxFrame: 2}, hello, "82 02 48 65 82 02 6c 6c 82 01 6f"},
		{"split, masked, a key per frame", WSOptions{Client: true, MaxFrame: 4, Rand: &keys{}}, hello,
			"82 84 01 01 01 01 49 64 6d 6d 82 81 02 02 02 02 6d"},
		{"empty batch", WSOptions{Client: true}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Rand == nil {
				tc.opts.Rand = bytes.NewReader(rfcKey)
			}
			var buf bytes.Buffer
			if err := NewWSWriter(tc.opts).Encode(&buf, tc.in); err != nil {
				t.Fatal(err)
			}
			if got := buf.Bytes(); !bytes.Equal(got, hexBytes(tc.want)) {
				t.Errorf("got  %x\nwant %x", got, hexBytes(tc.want))
			}
		})
	}
	if got := frameHeader(t, 125, true); !bytes.Equal(got, hexBytes("82 fd 01 01 01 01")) {
		t.Errorf("125 masked: %x", got)
	}
	if got := frameHeader(t, 65535, true); !bytes.Equal(got, hexBytes("82 fe ff ff 01 01 01 01")) {
		t.Errorf("65535 masked: %x", got)
	}
	if got := frameHeader(t, 65536, true); !bytes.Equal(got, hexBytes("82 ff 00 00 00 00 00 01 00 00 01 01 01 01")) {
		t.Errorf("65536 masked: %x", got)
	}
}

// inflate decompresses a message as nats-server does: payload plus the
// RFC 7692 tail and an empty final block.
func inflate(t *testing.T, z []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(flate.NewReader(bytes.NewReader(append(bytes.Clone(z), wsDeflateTail...))))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

// frame is one parsed frame.
type frame struct {
	b0      byte
	payload []byte
}

// parseFrames splits written bytes into frames, unmasking them; masked
// reports whether every frame was masked.
func parseFrames(t *testing.T, b []byte) (frames []frame, masked bool) {
	t.Helper()
	masked = true
	for len(b) > 0 {
		b0, b1 := b[0], b[1]
		n, h := uint64(b1&0x7f), 2
		switch n {
		case 126:
			n, h = uint64(b[2])<<8|uint64(b[3]), 4
		case 127:
			n = 0
			for _, c := range b[2:10] {
				n = n<<8 | uint64(c)
			}
			h = 10
		}
		var key []byte
		if b1&0x80 != 0 {
			key, h = b[h:h+4], h+4
		} else {
			masked = false
		}
		p := bytes.Clone(b[h : h+int(n)])
		for i := range p {
			if key != nil {
				p[i] ^= key[i%4]
			}
		}
		frames = append(frames, frame{b0, p})
		b = b[h+int(n):]
	}
	return frames, masked
}

// TestWSWriterCompression: above 64 bytes a batch is one compressed
// message, deflated without context, fragmented only under MaxFrame.
func TestWSWriterCompression(t *testing.T) {
	batch := bytes.Repeat([]byte("MSG foo.bar 1 5\r\nhello\r\n"), 40)
	for _, tc := range []struct {
		name   string
		opts   WSOptions
		in     []byte
		first  []byte // expected first header bytes of the frames
		single bool
	}{
		{"64 bytes stay plain", WSOptions{Compress: true}, batch[:64], []byte{0x82}, true},
		{"65 bytes are compressed", WSOptions{Compress: true}, batch[:65], []byte{0xc2}, true},
		{"server", WSOptions{Compress: true}, batch, []byte{0xc2}, true},
		{"client masks", WSOptions{Client: true, Compress: true}, batch, []byte{0xc2}, true},
		{"fragments", WSOptions{Compress: true, MaxFrame: 8}, batch, []byte{0x42, 0x00, 0x00}, false},
		{"no fragments for Safari", WSOptions{Compress: true, MaxFrame: 8, NoCompressedFragments: true}, batch, []byte{0xc2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Rand = &keys{}
			w := NewWSWriter(tc.opts)
			var out []byte
			for range 2 { // the second batch must not depend on the first
				b, err := w.AppendFrames(nil, tc.in)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b...)
			}
			frames, masked := parseFrames(t, out)
			if masked != tc.opts.maskWrites() {
				t.Errorf("masked = %v", masked)
			}
			if len(frames)%2 != 0 {
				t.Fatalf("%d frames for two batches", len(frames))
			}
			frames = frames[:len(frames)/2]
			for i, f := range frames {
				if i < len(tc.first) && f.b0 != tc.first[i] {
					t.Errorf("frame %d: b0 %#x, want %#x", i, f.b0, tc.first[i])
				}
				if tc.opts.MaxFrame > 0 && !tc.opts.NoCompressedFragments && len(f.payload) > tc.opts.MaxFrame {
					t.Errorf("frame %d: %d bytes", i, len(f.payload))
				}
			}
			if last := frames[len(frames)-1].b0; last&0x80 == 0 {
				t.Errorf("last frame without FIN: %#x", last)
			}
			if tc.single && len(frames) != 1 {
				t.Errorf("%d frames, want 1", len(frames))
			}
			var msg []byte
			for _, f := range frames {
				msg = append(msg, f.payload...)
			}
			if frames[0].b0&0x40 != 0 {
				msg = inflate(t, msg)
			}
			if !bytes.Equal(msg, tc.in) {
				t.Errorf("message %q", msg)
			}
			// And the whole goes back through a reader.
			got, _ := readWS(bytes.NewReader(out), WSOptions{Client: !tc.opts.Client, NoMasking: tc.opts.NoMasking, Compress: true}, 100)
			if !bytes.Equal(got.out, append(bytes.Clone(tc.in), tc.in...)) || got.err != io.EOF {
				t.Errorf("read back: %v", got)
			}
		})
	}
}

// TestWSWriterMaxMessage: a batch larger than MaxMessage is compressed as
// several messages, each inflating within the limit.
func TestWSWriterMaxMessage(t *testing.T) {
	batch := bytes.Repeat([]byte("0123456789"), 100)
	out, err := NewWSWriter(WSOptions{Compress: true, MaxMessage: 300}).AppendFrames(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	frames, _ := parseFrames(t, out)
	if len(frames) != 4 {
		t.Fatalf("%d messages, want 4", len(frames))
	}
	var all []byte
	for _, f := range frames {
		m := inflate(t, f.payload)
		if len(m) > 300 || f.b0 != 0xc2 {
			t.Errorf("message b0 %#x of %d bytes", f.b0, len(m))
		}
		all = append(all, m...)
	}
	if !bytes.Equal(all, batch) {
		t.Error("messages do not add up to the batch")
	}
}

// TestWSRoundTrip: writer to reader in both roles, with and without
// compression and masking, with fragmentation, read whole, split at every
// byte, one byte at a time and with small reads.
func TestWSRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var batches [][]byte
	for _, n := range []int{1, 5, 64, 65, 125, 126, 300, 4097, 65536, 70000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcd \r\n"[rnd.IntN(7)]
		}
		batches = append(batches, b)
	}
	for _, client := range []bool{false, true} {
		for _, compress := range []bool{false, true} {
			for _, noMasking := range []bool{false, true} {
				for _, maxFrame := range []int{0, 100} {
					wo := WSOptions{Client: client, Compress: compress, NoMasking: noMasking, MaxFrame: maxFrame, Rand: &keys{}}
					ro := WSOptions{Client: !client, Compress: compress, NoMasking: noMasking}
					name := fmt.Sprintf("client=%v compress=%v nomask=%v maxframe=%d", client, compress, noMasking, maxFrame)
					t.Run(name, func(t *testing.T) {
						w := NewWSWriter(wo)
						var wire, want []byte
						var smallWire, smallLen int
						for _, b := range batches {
							var buf bytes.Buffer
							if err := w.Encode(&buf, b); err != nil {
								t.Fatal(err)
							}
							wire = append(wire, buf.Bytes()...)
							want = append(want, b...)
							if len(b) <= 300 {
								smallWire, smallLen = len(wire), len(want)
							}
						}
						for _, size := range []int{1, 7, 4096, 100000} {
							got, _ := readWS(bytes.NewReader(wire), ro, size)
							if !bytes.Equal(got.out, want) || got.err != io.EOF {
								t.Fatalf("reads of %d: %d bytes, %v", size, len(got.out), got.err)
							}
						}
						got, _ := readWS(iotest.OneByteReader(bytes.NewReader(wire)), ro, 3)
						if !bytes.Equal(got.out, want) || got.err != io.EOF {
							t.Fatalf("byte by byte: %d bytes, %v", len(got.out), got.err)
						}
						// Every cut of the small batches' frames, and a few
						// through the large ones.
						small, smallWant := wire[:smallWire], want[:smallLen]
						for cut := 1; cut < len(small); cut++ {
							got, _ := readWS(split(small, cut), ro, 512)
							if !bytes.Equal(got.out, smallWant) || got.err != io.EOF {
								t.Fatalf("cut at %d: %d bytes, %v", cut, len(got.out), got.err)
							}
						}
						for range 20 {
							a, b := rnd.IntN(len(wire)), rnd.IntN(len(wire))
							got, _ := readWS(split(wire, min(a, b), max(a, b)), ro, 512)
							if !bytes.Equal(got.out, want) || got.err != io.EOF {
								t.Fatalf("cuts at %d %d: %d bytes, %v", a, b, len(got.out), got.err)
							}
						}
					})
				}
			}
		}
	}
}

// TestWSReaderNatsServerDeflate reads compressed messages the way
// nats-server's writer produces them (fragmented too) and with a final
// block ending the deflate stream early, as its inflater tolerates.
func TestWSReaderNatsServerDeflate(t *testing.T) {
	msg := bytes.Repeat([]byte("PUB foo 11\r\nhello world\r\n"), 50)
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestSpeed)
	zw.Write(msg)
	zw.Flush()
	p := bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff})

	one, _ := appendWSFrame(nil, 0xc2, p, true, &keys{})
	var frag []byte
	frag, _ = appendWSFrame(frag, 0x42, p[:10], true, &keys{})
	frag, _ = appendWSFrame(frag, 0x89, nil, true, &keys{}) // a ping between fragments
	frag, _ = appendWSFrame(frag, 0x00, p[10:20], true, &keys{})
	frag, _ = appendWSFrame(frag, 0x80, p[20:], true, &keys{})
	frag, _ = appendWSFrame(frag, 0x82, []byte("+OK\r\n"), true, &keys{})

	z.Reset()
	zw.Reset(&z)
	zw.Write([]byte("PING\r\n"))
	zw.Close() // a final block: the stream ends before the tail
	closed, _ := appendWSFrame(nil, 0xc2, z.Bytes(), true, &keys{})

	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
		pong bool
	}{
		{"one frame", one, msg, false},
		{"fragments", frag, append(bytes.Clone(msg), "+OK\r\n"...), true},
		{"stream with a final block", closed, []byte("PING\r\n"), false},
	} {
		got, _ := readWS(bytes.NewReader(tc.in), WSOptions{Compress: true}, 1000)
		if !bytes.Equal(got.out, tc.want) || got.err != io.EOF || (len(got.controls) == 1) != tc.pong {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

// TestWSReaderLimits: compressed messages are bounded before and after
// inflating; uncompressed payloads are streamed whatever their declared
// length.
func TestWSReaderLimits(t *testing.T) {
	opts := WSOptions{Client: true, Compress: true, MaxMessage: 100}
	compress := func(b []byte) []byte {
		out, err := NewWSWriter(WSOptions{Compress: true, MaxMessage: 1 << 20}).AppendFrames(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	exact := bytes.Repeat([]byte("a"), 100)
	got, _ := readWS(bytes.NewReader(compress(exact)), opts, 7)
	if !bytes.Equal(got.out, exact) || got.err != io.EOF {
		t.Errorf("at the limit: %v", got)
	}
	over := bytes.Repeat([]byte("b"), 101)
	got, _ = readWS(bytes.NewReader(compress(over)), opts, 7)
	if !bytes.Equal(got.out, over[:100]) || errClass(got.err) != `ws 1001 "Read Error" toobig=true` {
		t.Errorf("above the limit: %v", got)
	}
	// A bomb: 10 MB of zeros inflate from a few KB; only the limit is produced.
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestCompression)
	zw.Write(make([]byte, 10<<20))
	zw.Flush()
	bomb, _ := appendWSFrame(nil, 0xc2, bytes.TrimSuffix(z.Bytes(), []byte{0, 0, 0xff, 0xff}), false, nil)
	bombOpts := opts
	bombOpts.MaxMessage = 4096
	got, r := readWS(bytes.NewReader(bomb), bombOpts, 1<<16)
	if len(got.out) != 4096 || !errors.Is(got.err, ErrWSMessageTooBig) || r.inflated > 4097 {
		t.Errorf("bomb: %d bytes, %v, inflated %d", len(got.out), got.err, r.inflated)
	}
	// Compressed bytes beyond 8 times the limit (less the 9-byte tail).
	for _, n := range []int{791, 792} {
		in, _ := appendWSFrame(nil, 0xc2, make([]byte, n), false, nil)
		got, r = readWS(bytes.NewReader(in), opts, 64)
		tooBig := errors.Is(got.err, ErrWSMessageTooBig)
		if tooBig != (n > 791) || cap(r.gathered) > 800 {
			t.Errorf("%d compressed bytes: %v, gathered cap %d", n, got.err, cap(r.gathered))
		}
	}
	// A declared length of 2^63-1, then the stream ends: nothing is
	// allocated for it.
	hostile := hexBytes("c2 7f 7f ff ff ff ff ff ff ff 01 02 03")
	got, r = readWS(bytes.NewReader(hostile), opts, 64)
	if got.err != io.ErrUnexpectedEOF || cap(r.gathered) > 512 {
		t.Errorf("hostile compressed length: %v, cap %d", got.err, cap(r.gathered))
	}
	hostile[0] = 0x82
	allocs := testing.AllocsPerRun(10, func() {
		r := NewWSReader(bytes.NewReader(hostile), opts)
		p := make([]byte, 64)
		for {
			if _, err := r.Read(p); err != nil {
				break
			}
		}
	})
	if allocs > 4 {
		t.Errorf("hostile length: %v allocations", allocs)
	}
	// The default limits.
	r = NewWSReader(nil, WSOptions{})
	if r.maxMessage != 1<<20 || r.maxGathered != 8<<20 {
		t.Errorf("defaults %d %d", r.maxMessage, r.maxGathered)
	}
	if r = NewWSReader(nil, WSOptions{MaxMessage: 64 << 20}); r.maxGathered != 64<<20 {
		t.Errorf("compressed limit capped at %d", r.maxGathered)
	}
}

// TestWSReaderSourceErrors: errors from the source come out after the bytes
// read before them.
func TestWSReaderSourceErrors(t *testing.T) {
	boom := errors.New("boom")
	src := io.MultiReader(bytes.NewReader(hexBytes("82 05 48 65")), iotest.ErrReader(boom))
	got, _ := readWS(src, WSOptions{Client: true}, 64)
	if string(got.out) != "He" || got.err != boom {
		t.Errorf("got %v", got)
	}
	got, _ = readWS(iotest.ErrReader(boom), WSOptions{Client: true}, 64)
	if got.err != boom {
		t.Errorf("got %v", got)
	}
	got, _ = readWS(iotest.DataErrReader(bytes.NewReader(hexBytes("82 02 48 65"))), WSOptions{Client: true}, 64)
	if string(got.out) != "He" || got.err != io.EOF {
		t.Errorf("data with EOF: %v", got)
	}
}

// TestWSReaderMaxMessageAboveDefault: with MaxMessage above 1 MB (a larger
// max_payload), a compressed message between 1 MB and the limit passes;
// with the default it fails.
func TestWSReaderMaxMessageAboveDefault(t *testing.T) {
	msg := bytes.Repeat([]byte("PUB foo 11\r\nhello world\r\n"), (3<<20)/2/25)
	wire, err := NewWSWriter(WSOptions{Compress: true, MaxMessage: 2 << 20}).AppendFrames(nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	if frames, _ := parseFrames(t, wire); len(frames) != 1 || len(msg) <= 1<<20 {
		t.Fatalf("%d messages of %d bytes, want one above 1 MB", len(frames), len(msg))
	}
	got, _ := readWS(bytes.NewReader(wire), WSOptions{Client: true, Compress: true, MaxMessage: 2 << 20}, 32<<10)
	if !bytes.Equal(got.out, msg) || got.err != io.EOF {
		t.Errorf("below a 2 MB limit: %d bytes, %v", len(got.out), got.err)
	}
	got, _ = readWS(bytes.NewReader(wire), WSOptions{Client: true, Compress: true}, 32<<10)
	if len(got.out) != 1<<20 || !errors.Is(got.err, ErrWSMessageTooBig) {
		t.Errorf("default limit: %d bytes, %v", len(got.out), got.err)
	}
}

// onceSource returns b in one Read, then fails the test if read again.
type onceSource struct {
	t    *testing.T
	b    []byte
	done bool
}

func (s *onceSource) Read(p []byte) (int, error) {
	if s.done {
		s.t.Error("read from the source after bytes were ready")
		return 0, io.ErrNoProgress
	}
	s.done = true
	return copy(p, s.b), nil
}

// TestWSReaderBufferedFrames: one Read passes on the payload of every frame
// already buffered, answering the pings among them, without reading from
// the source again; a close frame after data waits for the next Read.
func TestWSReaderBufferedFrames(t *testing.T) {
	var controls [][]byte
	opts := WSOptions{Client: true, Rand: bytes.NewReader(rfcKey), Control: func(f []byte) { controls = append(controls, bytes.Clone(f)) }}
	// "He", a ping, "llo" in two fragments, an empty frame, "!", the first
	// byte of another frame's header.
	in := hexBytes("82 02 48 65 89 00 01 02 6c 6c 80 01 6f 82 00 82 01 21 82")
	r := NewWSReader(&onceSource{t: t, b: in}, opts)
	p := make([]byte, 64)
	if n, err := r.Read(p); string(p[:n]) != "Hello!" || err != nil || len(controls) != 1 || !bytes.Equal(controls[0], hexBytes("8a 80 37 fa 21 3d")) {
		t.Errorf("Read = %q %v, controls %x", p[:n], err, controls)
	}
	// p full: the rest stays for the next Read.
	r = NewWSReader(bytes.NewReader(hexBytes("82 03 61 62 63 82 02 64 65")), WSOptions{Client: true})
	if n, err := r.Read(p[:4]); string(p[:n]) != "abcd" || err != nil {
		t.Errorf("Read of 4 = %q %v", p[:n], err)
	}
	if n, err := r.Read(p); string(p[:n]) != "e" || err != nil {
		t.Errorf("next Read = %q %v", p[:n], err)
	}
	// A close frame after data.
	controls = nil
	r = NewWSReader(bytes.NewReader(hexBytes("82 01 61 88 00 82 01 62")), WSOptions{Client: true, Rand: &keys{}, Control: opts.Control})
	if n, err := r.Read(p); string(p[:n]) != "a" || err != nil || len(controls) != 0 {
		t.Errorf("before the close: %q %v, controls %x", p[:n], err, controls)
	}
	if n, err := r.Read(p); n != 0 || err != io.EOF || len(controls) != 1 {
		t.Errorf("the close: %d %v, controls %x", n, err, controls)
	}
	// A violation after data comes with the next Read.
	r = NewWSReader(bytes.NewReader(hexBytes("82 01 61 a2 00")), WSOptions{Client: true})
	if n, err := r.Read(p); string(p[:n]) != "a" || err != nil {
		t.Errorf("before the violation: %q %v", p[:n], err)
	}
	var we *WSError
	if _, err := r.Read(p); !errors.As(err, &we) || we.Code != WSCloseProtocolError {
		t.Errorf("the violation: %v", err)
	}
	// Compressed messages: gathered and inflated from the buffer as well.
	w := NewWSWriter(WSOptions{Compress: true})
	batch := bytes.Repeat([]byte("PING\r\n"), 20)
	wire, _ := w.AppendFrames(nil, batch)
	wire, _ = w.AppendFrames(wire, []byte("+OK\r\n"))
	wire, _ = w.AppendFrames(wire, batch)
	r = NewWSReader(&onceSource{t: t, b: wire}, WSOptions{Client: true, Compress: true})
	p = make([]byte, 1000)
	if n, err := r.Read(p); string(p[:n]) != string(batch)+"+OK\r\n"+string(batch) || err != nil {
		t.Errorf("compressed: %q %v", p[:n], err)
	}
}

// TestWSWriterEncodeRetain: Encode does not keep a buffer above
// retainLimit after a large batch.
func TestWSWriterEncodeRetain(t *testing.T) {
	w := NewWSWriter(WSOptions{})
	var out bytes.Buffer
	big := make([]byte, 2*retainLimit)
	if err := w.Encode(&out, big); err != nil || out.Len() != len(big)+10 {
		t.Fatalf("Encode: %v, %d bytes", err, out.Len())
	}
	if cap(w.out) > retainLimit {
		t.Errorf("kept %d bytes", cap(w.out))
	}
	out.Reset()
	if err := w.Encode(&out, []byte("hi")); err != nil || !bytes.Equal(out.Bytes(), hexBytes("82 02 68 69")) || cap(w.out) == 0 {
		t.Errorf("small batch: %v %x, kept %d", err, out.Bytes(), cap(w.out))
	}
}

func TestWSControlFrames(t *testing.T) {
	w := NewWSWriter(WSOptions{})
	if f, _ := w.CloseFrame(1000, "bye"); !bytes.Equal(f, hexBytes("88 05 03 e8 62 79 65")) {
		t.Errorf("close: %x", f)
	}
	long := strings.Repeat("x", 200)
	f, _ := w.CloseFrame(WSCloseGoingAway, long)
	if len(f) != 2+125 || f[1] != 125 || string(f[4:]) != strings.Repeat("x", 120)+"..." {
		t.Errorf("long close: %q", f)
	}
	if f, _ := w.CloseFrame(WSCloseProtocolError, strings.Repeat("y", 123)); len(f) != 127 || f[126] != 'y' {
		t.Errorf("123-byte text is kept: %q", f)
	}
	// Pongs are the reader's answers to pings.
	pong := func(opts WSOptions, ping string) wsRun {
		opts.Rand = bytes.NewReader(rfcKey)
		got, _ := readWS(bytes.NewReader(hexBytes(ping)), opts, 64)
		return got
	}
	if got := pong(WSOptions{}, "89 85 00 00 00 00 48 65 6c 6c 6f"); len(got.controls) != 1 || !bytes.Equal(got.controls[0], hexBytes("8a 05 48 65 6c 6c 6f")) {
		t.Errorf("pong: %v", got)
	}
	if got := pong(WSOptions{Client: true}, "89 05 48 65 6c 6c 6f"); len(got.controls) != 1 || !bytes.Equal(got.controls[0], hexBytes("8a 85 37 fa 21 3d 7f 9f 4d 51 58")) {
		t.Errorf("masked pong: %v", got)
	}
	big := "89 7e 00 7e" + strings.Repeat(" 00", 126)
	if got := pong(WSOptions{Client: true}, big); len(got.controls) != 0 || got.err == io.EOF {
		t.Errorf("a 126-byte pong must be refused: %v", got)
	}
	mw := NewWSWriter(WSOptions{Client: true, Rand: bytes.NewReader(nil)})
	if _, err := mw.CloseFrame(1000, ""); err == nil {
		t.Error("an exhausted Rand must fail")
	}
	if err := mw.Encode(io.Discard, []byte("x")); err == nil {
		t.Error("an exhausted Rand must fail Encode")
	}
}

func TestWSCloseStatus(t *testing.T) {
	for reason, want := range map[string]int{
		"Client Closed":                        1000,
		"Authentication Timeout":               1008,
		"Authentication Failure":               1008,
		"Slow Consumer (Pending Bytes)":        1008,
		"Slow Consumer (Write Deadline)":       1008,
		"Maximum Connections Exceeded":         1008,
		"Maximum Control Line Exceeded":        1008,
		"Missing Account":                      1008,
		"TLS Handshake Failure":                1015,
		"Parse Error":                          1002,
		"Protocol Violation":                   1002,
		"Bad Client Protocol Version":          1002,
		"Maximum Message Payload Exceeded":     1009,
		"Write Error":                          1001,
		"Read Error":                           1001,
		"Stale Connection":                     1001,
		"Server Shutdown":                      1001,
		"Duplicate Remote LeafNode Connection": 1011,
		"Incorrect Port":                       1011,
	} {
		if got := WSCloseStatus(reason); got != want {
			t.Errorf("%s: %d, want %d", reason, got, want)
		}
	}
}

// wsRequest reads a raw HTTP request the way the runtime will hand it over.
func wsRequest(t *testing.T, raw string) *WSRequest {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	return &WSRequest{Method: req.Method, Host: req.Host, Path: req.URL.EscapedPath(), Header: req.Header}
}

// upgrade builds an upgrade request with the given extra header lines
// replacing the defaults of the same name.
func upgrade(method, target string, lines ...string) string {
	hdr := map[string]string{
		"Host":                  "localhost:8080",
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     "dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Version": "13",
	}
	order := []string{"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		if _, ok := hdr[k]; !ok {
			order = append(order, k)
		}
		hdr[k] = v
	}
	s := method + " " + target + " HTTP/1.1\r\n"
	for _, k := range order {
		if v := hdr[k]; v != "-" {
			s += k + ": " + v + "\r\n"
		}
	}
	return s + "\r\n"
}

func TestAcceptWS(t *testing.T) {
	const accept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	const pmc = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
	const offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"
	none := &WSAcceptOptions{}
	// The origin policy itself is the caller's (actors/conn tests it):
	// here it is a callback refusing every origin.
	for _, tc := range []struct {
		name   string
		req    string
		opts   *WSAcceptOptions
		status int
		reason string
		kind   WSKind
		resp   string
	}{
		{"client", upgrade("GET", "/"), none, 0, "", WSClient, accept + "\r\n"},
		{"leaf", upgrade("GET", "/leafnode"), none, 0, "", WSLeaf, accept + "\r\n"},
		{"leaf under a path", upgrade("GET", "/some/path/leafnode"), none, 0, "", WSLeaf, accept + "\r\n"},
		{"leaf from a URL ending in /", upgrade("GET", "//leafnode"), none, 0, "", WSLeaf, accept + "\r\n"},
		{"leaf with a query", upgrade("GET", "/leafnode?x=1"), none, 0, "", WSLeaf, accept + "\r\n"},
		{"leafnode/ is a client", upgrade("GET", "/leafnode/"), none, 0, "", WSClient, accept + "\r\n"},
		{"mqtt before the method", upgrade("POST", "/mqtt"), none, 404, "mqtt websocket endpoint not enabled", 0, ""},
		{"method", upgrade("POST", "/", "Upgrade: -"), none, 405, "request method must be GET", 0, ""},
		{"upgrade missing", upgrade("GET", "/", "Upgrade: -", "Connection: -"), none, 400, "invalid value for header 'Upgrade'", 0, ""},
		{"upgrade wrong", upgrade("GET", "/", "Upgrade: h2c"), none, 400, "invalid value for header 'Upgrade'", 0, ""},
		{"upgrade among tokens, any case", upgrade("GET", "/", "Upgrade: foo, WebSocket"), none, 0, "", WSClient, accept + "\r\n"},
		{"connection missing", upgrade("GET", "/", "Connection: -", "Sec-WebSocket-Key: -"), none, 400, "invalid value for header 'Connection'", 0, ""},
		{"connection among tokens", upgrade("GET", "/", "Connection: keep-alive, upgrade"), none, 0, "", WSClient, accept + "\r\n"},
		{"key missing", upgrade("GET", "/", "Sec-WebSocket-Key: -", "Sec-WebSocket-Version: 12"), none, 400, "key missing", 0, ""},
		{"key not base64", upgrade("GET", "/", "Sec-WebSocket-Key: !!!!"), none, 400, "invalid websocket key", 0, ""},
		{"key of 15 bytes", upgrade("GET", "/", "Sec-WebSocket-Key: "+base64.StdEncoding.EncodeToString(make([]byte, 15))), none, 400, "invalid websocket key", 0, ""},
		{"version missing", upgrade("GET", "/", "Sec-WebSocket-Version: -"), none, 400, "invalid version", 0, ""},
		{"version 12", upgrade("GET", "/", "Sec-WebSocket-Version: 12", "Origin: http://evil"), refuseOrigin("not same origin"), 400, "invalid version", 0, ""},
		{"version among tokens", upgrade("GET", "/", "Sec-WebSocket-Version: 8, 13"), none, 0, "", WSClient, accept + "\r\n"},
		{"compression granted", upgrade("GET", "/", offer), &WSAcceptOptions{Compression: true}, 0, "", WSClient, accept + pmc + "\r\n"},
		{"compression found as a parameter", upgrade("GET", "/", "Sec-WebSocket-Extensions: x-foo; permessage-deflate"), &WSAcceptOptions{Compression: true}, 0, "", WSClient, accept + pmc + "\r\n"},
		{"compression not configured", upgrade("GET", "/", offer), none, 0, "", WSClient, accept + "\r\n"},
		{"compression not offered", upgrade("GET", "/"), &WSAcceptOptions{Compression: true}, 0, "", WSClient, accept + "\r\n"},
		{"no masking", upgrade("GET", "/leafnode", "Nats-No-Masking: true"), none, 0, "", WSLeaf, accept + "Nats-No-Masking: true\r\n\r\n"},
		{"no masking for a client too", upgrade("GET", "/", "Nats-No-Masking: true"), none, 0, "", WSClient, accept + "Nats-No-Masking: true\r\n\r\n"},
		{"no masking is case-sensitive", upgrade("GET", "/leafnode", "Nats-No-Masking: TRUE"), none, 0, "", WSLeaf, accept + "\r\n"},
		{"no masking refused", upgrade("GET", "/leafnode", "Nats-No-Masking: true"), &WSAcceptOptions{RefuseNoMasking: true}, 0, "", WSLeaf, accept + "\r\n"},
		{"both, and extra headers sorted", upgrade("GET", "/leafnode", offer, "Nats-No-Masking: true"),
			&WSAcceptOptions{Compression: true, Headers: map[string]string{"X-B": "2", "X-A": "1"}}, 0, "", WSLeaf,
			accept + pmc + "Nats-No-Masking: true\r\nX-A: 1\r\nX-B: 2\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := AcceptWS(wsRequest(t, tc.req), tc.opts)
			if tc.status != 0 {
				var he *WSHandshakeError
				if !errors.As(err, &he) || he.Status != tc.status || he.Reason != tc.reason {
					t.Fatalf("got %#v, %v; want %d %q", a, err, tc.status, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind != tc.kind || string(a.Response) != tc.resp {
				t.Errorf("kind %v response %q\nwant %v %q", a.Kind, a.Response, tc.kind, tc.resp)
			}
			if a.Compress != strings.Contains(tc.resp, "permessage") || a.NoMasking != strings.Contains(tc.resp, "Nats-No-Masking") {
				t.Errorf("compress %v nomasking %v", a.Compress, a.NoMasking)
			}
		})
	}
}

func TestAcceptWSOther(t *testing.T) {
	req := wsRequest(t, upgrade("GET", "/"))
	req.Host = ""
	if _, err := AcceptWS(req, &WSAcceptOptions{}); err == nil || err.(*WSHandshakeError).Reason != "'Host' missing in request" {
		t.Errorf("no host: %v", err)
	}
	// Data ahead of the answer is checked last.
	req = wsRequest(t, upgrade("GET", "/", "Origin: http://evil"))
	req.Buffered = 3
	if _, err := AcceptWS(req, refuseOrigin("not same origin")); err == nil || err.(*WSHandshakeError).Status != 403 {
		t.Errorf("origin first: %v", err)
	}
	_, err := AcceptWS(req, &WSAcceptOptions{})
	if he, ok := err.(*WSHandshakeError); !ok || he.Status != 400 || he.Reason != "client sent data before handshake is complete" {
		t.Errorf("buffered: %v", err)
	}
	if err.Error() != "websocket handshake error: client sent data before handshake is complete" {
		t.Errorf("text %q", err)
	}
	// Browsers.
	for _, tc := range []struct {
		path, ua        string
		compress        bool
		browser, nofrag bool
	}{
		{"/", "Mozilla/5.0 (X11) Chrome/120 Safari/537.36", true, true, false},
		{"/", "Mozilla/5.0 (Macintosh) Version/17.1 Safari/605.1.15", true, true, true},
		{"/", "Mozilla/5.0 (Macintosh) Version/17.1 Safari/605.1.15", false, true, false},
		{"/", "nats.go", true, false, false},
		{"/leafnode", "Mozilla/5.0", true, false, false},
	} {
		lines := []string{"User-Agent: " + tc.ua}
		if tc.compress {
			lines = append(lines, "Sec-WebSocket-Extensions: permessage-deflate")
		}
		a, err := AcceptWS(wsRequest(t, upgrade("GET", tc.path, lines...)), &WSAcceptOptions{Compression: true})
		if err != nil || a.Browser != tc.browser || a.NoCompressedFragments != tc.nofrag {
			t.Errorf("%s %q: %+v %v", tc.path, tc.ua, a, err)
			continue
		}
		o := a.Options()
		if o.Client || (o.MaxFrame == 4096) != tc.browser || o.NoCompressedFragments != tc.nofrag || o.Compress != tc.compress {
			t.Errorf("options %+v", o)
		}
	}
}

// refuseOrigin is an origin policy refusing every origin with reason.
func refuseOrigin(reason string) *WSAcceptOptions {
	return &WSAcceptOptions{CheckOrigin: func(string, *WSRequest) error { return errors.New(reason) }}
}

// TestAcceptWSCheckOrigin: which origin the policy callback sees, when it
// is not called, and what its refusal becomes.
func TestAcceptWSCheckOrigin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		req    string
		origin string // what the callback sees; "": not called
	}{
		{"origin", upgrade("GET", "/", "Origin: http://a:1"), "http://a:1"},
		{"sec-websocket-origin", upgrade("GET", "/", "Sec-WebSocket-Origin: http://b"), "http://b"},
		{"Origin over Sec-WebSocket-Origin", upgrade("GET", "/", "Sec-WebSocket-Origin: http://b", "Origin: null"), "null"},
		{"empty origin falls back", upgrade("GET", "/", "Origin: ", "Sec-WebSocket-Origin: http://b"), "http://b"},
		{"no origin passes", upgrade("GET", "/leafnode"), ""},
		{"empty origins pass", upgrade("GET", "/", "Origin: ", "Sec-WebSocket-Origin: "), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := wsRequest(t, tc.req)
			var seen []string
			opts := &WSAcceptOptions{CheckOrigin: func(origin string, r *WSRequest) error {
				if r != req {
					t.Errorf("callback got request %p, want %p", r, req)
				}
				seen = append(seen, origin)
				return errors.New("no " + origin)
			}}
			a, err := AcceptWS(req, opts)
			if tc.origin == "" {
				if err != nil || len(seen) != 0 {
					t.Fatalf("got %v %v, callback saw %q", a, err, seen)
				}
				return
			}
			var he *WSHandshakeError
			if !errors.As(err, &he) || he.Status != 403 || he.Reason != "origin not allowed: no "+tc.origin {
				t.Fatalf("got %#v %v", a, err)
			}
			if len(seen) != 1 || seen[0] != tc.origin {
				t.Errorf("callback saw %q, want %q", seen, tc.origin)
			}
			// Accepted by the callback, the upgrade goes on.
			opts.CheckOrigin = func(string, *WSRequest) error { return nil }
			if _, err := AcceptWS(req, opts); err != nil {
				t.Errorf("allowed: %v", err)
			}
		})
	}
}

// natsServerRequest builds the upgrade request the way nats-server's
// leafnode solicit code does, with net/http and net/url.
func natsServerRequest(t *testing.T, rawURL string, key [16]byte, opts WSDialOptions) []byte {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p := "leafnode"
	if cur := u.EscapedPath(); cur != "" {
		p = path.Join(strings.TrimPrefix(cur, "/"), "/leafnode")
	}
	ru, err := url.Parse("http://" + u.Host + "/" + p)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Method: "GET", URL: ru, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header), Host: ru.Host}
	req.Header["Upgrade"] = []string{"websocket"}
	req.Header["Connection"] = []string{"Upgrade"}
	req.Header["Sec-WebSocket-Key"] = []string{base64.StdEncoding.EncodeToString(key[:])}
	req.Header["Sec-WebSocket-Version"] = []string{"13"}
	if opts.Compression {
		req.Header.Add("Sec-WebSocket-Extensions", wsDeflateParams)
	}
	if opts.NoMasking {
		req.Header.Add("Nats-No-Masking", "true")
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAppendWSRequest(t *testing.T) {
	for _, raw := range []string{
		"ws://127.0.0.1:7422", "ws://hub:443/", "wss://hub.example.com/some/path", "ws://h/some/path/",
		"ws://h/a%20b", "ws://h//x", "ws://[::1]:4222/x/", "ws://h/a/../b", "ws://h/.", "ws://h/..",
		"ws://user:pass@h:1/p?q=1", "ws://h/leafnode", "ws://h/%2F/x",
	} {
		for _, opts := range []WSDialOptions{{}, {Compression: true}, {NoMasking: true}, {true, true}} {
			u, _ := url.Parse(raw)
			got := AppendWSRequest(nil, u.Host, u.EscapedPath(), rfcNonce, opts)
			if want := natsServerRequest(t, raw, rfcNonce, opts); !bytes.Equal(got, want) {
				t.Errorf("%s %+v:\ngot  %q\nwant %q", raw, opts, got, want)
			}
		}
	}
	const want = "GET /leafnode HTTP/1.1\r\nHost: 127.0.0.1:7422\r\nUser-Agent: Go-http-client/1.1\r\n" +
		"Connection: Upgrade\r\nNats-No-Masking: true\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-Websocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n" +
		"Upgrade: websocket\r\n\r\n"
	if got := AppendWSRequest(nil, "127.0.0.1:7422", "", rfcNonce, WSDialOptions{true, true}); string(got) != want {
		t.Errorf("got %q", got)
	}
	for in, want := range map[string]string{"": "/leafnode", "/": "//leafnode", "/a/b/": "/a/b/leafnode", "//x": "//x/leafnode"} {
		if got := WSLeafPath(in); got != want {
			t.Errorf("WSLeafPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckWSResponse(t *testing.T) {
	good := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	pmc := "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"
	both := WSDialOptions{Compression: true, NoMasking: true}
	for _, tc := range []struct {
		name string
		resp string
		opts WSDialOptions
		want WSDialed
		err  error
	}{
		{"plain", good + "\r\n", WSDialOptions{}, WSDialed{}, nil},
		{"both granted", good + pmc + "Nats-No-Masking: true\r\n\r\n", both, WSDialed{true, true}, nil},
		{"neither granted", good + "\r\n", both, WSDialed{}, nil},
		{"granted without being asked", good + pmc + "Nats-No-Masking: true\r\n\r\n", WSDialOptions{}, WSDialed{}, nil},
		{"compression without both parameters", good + "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n", both, WSDialed{}, ErrWSCompression},
		{"compression parameters in any case", good + "Sec-WebSocket-Extensions: Permessage-Deflate;Client_No_Context_Takeover; SERVER_NO_CONTEXT_TAKEOVER\r\n\r\n", both, WSDialed{Compress: true}, nil},
		{"no-masking must be exactly true", good + "Nats-No-Masking: yes\r\n\r\n", both, WSDialed{}, nil},
		{"status", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", both, WSDialed{}, ErrWSInvalidResponse},
		{"status 200", strings.Replace(good, "101 Switching Protocols", "200 OK", 1) + "\r\n", both, WSDialed{}, ErrWSInvalidResponse},
		{"upgrade", strings.Replace(good, "Upgrade: websocket", "Upgrade: websocket2", 1) + "\r\n", both, WSDialed{}, ErrWSInvalidResponse},
		{"upgrade any case", strings.Replace(good, "Upgrade: websocket", "Upgrade: WebSocket", 1) + "\r\n", WSDialOptions{}, WSDialed{}, nil},
		{"connection is one token", strings.Replace(good, "Connection: Upgrade", "Connection: Upgrade, keep-alive", 1) + "\r\n", both, WSDialed{}, ErrWSInvalidResponse},
		{"accept key", strings.Replace(good, "s3pP", "s3pp", 1) + "\r\n", both, WSDialed{}, ErrWSInvalidResponse},
		{"accept key missing", strings.Replace(good, "Sec-WebSocket-Accept", "X-Accept", 1) + "\r\n", both, WSDialed{}, ErrWSInvalidResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(tc.resp)), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CheckWSResponse(resp.StatusCode, resp.Header, rfcNonce, tc.opts)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("got %+v %v, want %+v %v", got, err, tc.want, tc.err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), tc.err.Error()) {
				t.Errorf("error text %q", err)
			}
		})
	}
	if o := (WSDialed{Compress: true}).Options(); !o.Client || !o.Compress || !o.maskWrites() {
		t.Errorf("options %+v", o)
	}
}

// TestWSHandshakeRoundTrip: our request, accepted by our accept side,
// answered, and the answer checked by our solicit side.
func TestWSHandshakeRoundTrip(t *testing.T) {
	for _, opts := range []WSDialOptions{{}, {Compression: true}, {NoMasking: true}, {true, true}} {
		raw := AppendWSRequest(nil, "hub:7422", "/path", rfcNonce, opts)
		a, err := AcceptWS(wsRequest(t, string(raw)), &WSAcceptOptions{Compression: true})
		if err != nil || a.Kind != WSLeaf {
			t.Fatalf("%+v: accept %v %v", opts, a, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(a.Response)), nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := CheckWSResponse(resp.StatusCode, resp.Header, rfcNonce, opts)
		if err != nil || d.Compress != opts.Compression || d.NoMasking != opts.NoMasking ||
			a.Compress != opts.Compression || a.NoMasking != opts.NoMasking {
			t.Errorf("%+v: accepted %+v dialed %+v %v", opts, a, d, err)
		}
	}
}

// TestWSDeflateInterop runs our frames through the deflate library
// nats-server uses (klauspost/compress/flate), both ways: its BestSpeed
// output, flushed and stripped as nats-server writes it, through our
// reader; our compressed messages through its inflater with nats-server's
// tail.
func TestWSDeflateInterop(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{65, 1000, 70000, 300000} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = "MSG foo 1 5\r\nhello\r\n"[rnd.IntN(20)]
		}
		var z bytes.Buffer
		zw, _ := kflate.NewWriter(&z, kflate.BestSpeed)
		zw.Write(msg)
		zw.Flush()
		in, _ := appendWSFrame(nil, 0xc2, z.Bytes()[:z.Len()-4], false, nil)
		got, _ := readWS(bytes.NewReader(in), WSOptions{Client: true, Compress: true}, 4096)
		if !bytes.Equal(got.out, msg) || got.err != io.EOF {
			t.Errorf("%d bytes from klauspost: %v", n, got.err)
		}

		out, err := NewWSWriter(WSOptions{Compress: true}).AppendFrames(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		frames, _ := parseFrames(t, out)
		zr := kflate.NewReader(bytes.NewReader(append(frames[0].payload, wsDeflateTail...)))
		back, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(back, msg) {
			t.Errorf("%d bytes to klauspost: %v", n, err)
		}
	}
}

func BenchmarkWSReadMasked(b *testing.B) {
	batch := bytes.Repeat([]byte("MSG foo.bar 1 5\r\nhello\r\n"), 2000)
	wire, _ := NewWSWriter(WSOptions{Client: true}).AppendFrames(nil, batch)
	src := bytes.NewReader(wire)
	r := NewWSReader(src, WSOptions{})
	p := make([]byte, 32<<10)
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		src.Reset(wire)
		*r = *NewWSReader(src, WSOptions{})
		for {
			if _, err := r.Read(p); err != nil {
				break
			}
		}
	}
}

func BenchmarkWSEncodeCompressed(b *testing.B) {
	batch := bytes.Repeat([]byte("MSG foo.bar 1 5\r\nhello\r\n"), 2000)
	w := NewWSWriter(WSOptions{Compress: true})
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if err := w.Encode(io.Discard, batch); err != nil {
			b.Fatal(err)
		}
	}
}
