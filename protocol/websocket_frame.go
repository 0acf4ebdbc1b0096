package protocol

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// WebSocket framing (RFC 6455 section 5) and permessage-deflate (RFC 7692)
// as nats-server reads and writes them (spec 8.1). After the upgrade a
// connection's bytes go through a WSReader on the way in and a WSWriter on
// the way out; what they carry is the ordinary NATS protocol stream.

// Frame opcodes and header bits.
const (
	wsOpContinuation = 0x0
	wsOpText         = 0x1
	wsOpBinary       = 0x2
	wsOpClose        = 0x8
	wsOpPing         = 0x9
	wsOpPong         = 0xa

	wsFin     = 0x80 // first byte: last frame of a message
	wsRsv1    = 0x40 // first byte: the message is compressed
	wsRsv23   = 0x30 // first byte: reserved, always clear
	wsMaskBit = 0x80 // second byte: a masking key follows the length

	wsMaxControl  = 125 // largest control frame payload
	wsMaxHeader   = 14  // 2 bytes, 8 of extended length, 4 of masking key
	wsCompressMin = 64  // nats-server does not compress batches this small
	wsReadBuffer  = 4096
	// wsDefaultMessage is the decompressed message limit when
	// WSOptions.MaxMessage is not set (nats-server's default max_payload).
	wsDefaultMessage = 1 << 20
	// The compressed size of a message is limited to this many times the
	// decompressed limit, and to wsMaxCompressed.
	wsCompressedRatio = 8
	wsMaxCompressed   = 64 << 20
)

// wsDeflateTail ends a gathered compressed message before inflating it:
// the 00 00 ff ff that RFC 7692 has the sender strip, then an empty final
// stored block so that the inflater reports a clean end of stream.
var wsDeflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// Close status codes (RFC 6455 section 7.4.1) that nats-server uses.
const (
	WSCloseNormal          = 1000
	WSCloseGoingAway       = 1001
	WSCloseProtocolError   = 1002
	WSCloseNoStatus        = 1005 // a close frame without payload; never sent as a code
	WSCloseInvalidPayload  = 1007
	WSClosePolicyViolation = 1008
	WSCloseMessageTooBig   = 1009
	WSCloseInternalError   = 1011
	WSCloseTLSHandshake    = 1015
)

// WSCloseStatus is the status nats-server puts in the close frame it sends
// when it closes a websocket connection for reason (its /connz wording,
// e.g. "Stale Connection"); the frame's text is reason itself.
func WSCloseStatus(reason string) int {
	switch reason {
	case "Client Closed":
		return WSCloseNormal
	case ErrTextAuthTimeout, "Authentication Failure", "Slow Consumer (Pending Bytes)",
		"Slow Consumer (Write Deadline)", "Maximum Account Connections Exceeded",
		"Maximum Connections Exceeded", "Maximum Control Line Exceeded",
		"Maximum Subscriptions Exceeded", "Missing Account", "Authentication Expired",
		"Credentials Revoked":
		return WSClosePolicyViolation
	case "TLS Handshake Failure":
		return WSCloseTLSHandshake
	case "Parse Error", "Protocol Violation", "Bad Client Protocol Version":
		return WSCloseProtocolError
	case "Maximum Message Payload Exceeded":
		return WSCloseMessageTooBig
	case "Write Error", "Read Error", ErrTextStale, "Server Shutdown":
		return WSCloseGoingAway
	}
	return WSCloseInternalError
}

// WSOptions are the negotiated parameters of one websocket connection and
// the settings of its reader and writer. [WSAccepted.Options] and
// [WSDialed.Options] fill in the negotiated part.
type WSOptions struct {
	// Client is set on the side that sent the upgrade request (a solicited
	// leaf): it masks its frames and refuses masked ones. Otherwise the
	// peer's frames must be masked and ours are not.
	Client bool
	// NoMasking: Nats-No-Masking was granted. A client then does not mask;
	// a server accepts unmasked frames (and still unmasks masked ones).
	NoMasking bool
	// Compress: permessage-deflate was negotiated, without context
	// takeover in either direction.
	Compress bool
	// MaxFrame limits the payload of the frames written (0: one frame per
	// batch). nats-server uses 4096 for browsers.
	MaxFrame int
	// NoCompressedFragments writes a compressed message as one frame even
	// above MaxFrame (nats-server's Safari workaround).
	NoCompressedFragments bool
	// MaxMessage bounds a compressed message: the reader fails on one that
	// inflates beyond it or whose compressed size is above 8 times it (at
	// most 64 MB), as nats-server does with max_payload; the writer
	// compresses at most this many bytes per message, so that a
	// nats-server peer with this max_payload can inflate them. 0 means
	// 1 MB.
	MaxMessage int
	// Rand supplies masking keys; nil means crypto/rand.
	Rand io.Reader
	// Control receives, from WSReader.Read, each complete frame the peer's
	// control frames call for (a pong answering a ping, the close frame
	// echoing a close), masked if we mask. It must copy the frame to keep
	// it. Nil drops them.
	Control func(frame []byte)
}

func (o *WSOptions) maskWrites() bool { return o.Client && !o.NoMasking }

func (o *WSOptions) maxMessage() int {
	if o.MaxMessage <= 0 {
		return wsDefaultMessage
	}
	return o.MaxMessage
}

func (o *WSOptions) rand() io.Reader {
	if o.Rand == nil {
		return rand.Reader
	}
	return o.Rand
}

// WSError is a websocket failure that closes the connection: the close
// frame to send (Code and Text, as nats-server sends them) and the cause.
// Protocol violations are WSCloseProtocolError with nats-server's
// description as Text; a compressed message that is too big or does not
// inflate is WSCloseGoingAway "Read Error", with Err saying which.
type WSError struct {
	Code int
	Text string
	Err  error // nil for protocol violations
}

func (e *WSError) Error() string {
	s := "websocket: " + e.Text
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *WSError) Unwrap() error { return e.Err }

// ErrWSMessageTooBig is the cause of a WSError for a compressed message
// above the WSOptions.MaxMessage limits.
var ErrWSMessageTooBig = errors.New("compressed message exceeds the maximum size")

func wsProtocolError(text string) error {
	return &WSError{Code: WSCloseProtocolError, Text: text}
}

func wsReadError(cause error) error {
	return &WSError{Code: WSCloseGoingAway, Text: "Read Error", Err: cause}
}

// WSReader turns the frames of a websocket connection into the stream of
// application bytes they carry. Data frames (binary or text, with their
// continuations) are passed on as they arrive; a compressed message is
// gathered whole, then inflated as it is read. Control frames are handled
// inside Read: a ping yields a pong through WSOptions.Control, a pong is
// ignored, and a close yields the echoing close frame, after which Read
// returns io.EOF (see [WSReader.PeerClose]).
//
// Read returns a *WSError for a frame nats-server refuses, io.EOF when the
// stream ends between frames and io.ErrUnexpectedEOF when it ends inside
// one; errors are sticky. Memory is bounded: payloads are streamed, and
// only compressed messages (within their limit) and control payloads are
// held.
//
// A WSReader is owned by one goroutine.
type WSReader struct {
	src         io.Reader
	opts        WSOptions
	requireMask bool
	maxMessage  int
	maxGathered int // compressed message limit, tail included

	buf    []byte // read buffer; the unread bytes are buf[r:w]
	r, w   int
	srcErr error // what src returned last, reported once buf is drained

	inFrame bool   // reading a data frame's payload
	rem     uint64 // payload bytes left in the frame
	fin     bool   // the frame ends its message
	masked  bool
	key     [4]byte
	keyPos  int

	inMessage  bool // a message is open: its final frame has not come
	compressed bool // the open message is compressed

	gathered  []byte // compressed message so far
	inflating bool
	inflated  int // bytes of the current message inflated so far
	zsrc      bytes.Reader
	zr        io.ReadCloser

	err       error
	closed    bool // the peer sent a close frame
	closeCode int
	closeText string
}

// NewWSReader reads frames from src.
func NewWSReader(src io.Reader, opts WSOptions) *WSReader {
	maxMessage := opts.maxMessage()
	gathered := wsMaxCompressed
	if maxMessage < wsMaxCompressed/wsCompressedRatio {
		gathered = wsCompressedRatio * maxMessage
	}
	return &WSReader{
		src:         src,
		opts:        opts,
		requireMask: !opts.Client && !opts.NoMasking,
		maxMessage:  maxMessage,
		maxGathered: gathered,
		buf:         make([]byte, wsReadBuffer),
	}
}

// PeerClose reports the close frame the peer sent, once Read has returned
// io.EOF for it: its status (WSCloseNoStatus when it had no payload) and
// text.
func (r *WSReader) PeerClose() (code int, text string, ok bool) {
	return r.closeCode, r.closeText, r.closed
}

// Read reads application bytes into p.
func (r *WSReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	// Once there are bytes for p, go on only with what needs no read from
	// src: the rest of the buffer, further frames whose header is in it,
	// the inflating message.
	n := 0
	for r.err == nil && n < len(p) && (n == 0 || r.buffered()) {
		var m int
		var err error
		switch {
		case r.inflating:
			m, err = r.readInflated(p[n:])
		case r.inFrame && r.compressed:
			err = r.gather()
		case r.inFrame:
			m, err = r.readPayload(p[n:])
		default:
			err = r.readHeader()
		}
		r.err = err
		n += m
	}
	if n > 0 {
		return n, nil // an error that came with them is reported next
	}
	return 0, r.err
}

// buffered reports whether the next step of Read can be taken without
// reading from src. A close frame is not taken after data: the bytes
// before it are passed on first, as when it is read on its own.
func (r *WSReader) buffered() bool {
	switch {
	case r.inflating:
		return true
	case r.inFrame:
		return r.rem == 0 || r.r < r.w
	}
	have := r.w - r.r
	if have < 2 {
		return false
	}
	b0, b1 := r.buf[r.r], r.buf[r.r+1]
	if b0&0x0f == wsOpClose {
		return false
	}
	size, n := int(b1&0x7f), 2
	switch size {
	case 126:
		n = 4
	case 127:
		n = 10
	}
	if b1&wsMaskBit != 0 {
		n += 4
	}
	if b0&0x08 != 0 && size <= wsMaxControl {
		n += size // a control frame is handled whole
	}
	return have >= n
}

// fill reads more from src into buf, after the unread bytes.
func (r *WSReader) fill() error {
	if r.srcErr != nil {
		return r.srcErr
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.srcErr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	r.srcErr = io.ErrNoProgress
	return r.srcErr
}

// need makes n bytes available in buf; the stream ending first is
// io.ErrUnexpectedEOF.
func (r *WSReader) need(n int) error {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readHeader reads one frame header, handling a control frame whole.
// The checks and their order are nats-server's.
func (r *WSReader) readHeader() error {
	if r.r == r.w {
		if err := r.fill(); err != nil {
			return err // io.EOF here is a clean end
		}
	}
	b0 := r.buf[r.r]
	if b0&wsRsv23 != 0 {
		return wsProtocolError("RSV2 and RSV3 must be clear")
	}
	rsv1 := b0&wsRsv1 != 0
	if rsv1 && !r.opts.Compress {
		return wsProtocolError("compressed frame received without negotiated permessage-deflate")
	}
	if err := r.need(2); err != nil {
		return err
	}
	b1 := r.buf[r.r+1]
	masked := b1&wsMaskBit != 0
	if r.requireMask && !masked {
		return wsProtocolError("mask bit missing")
	}
	if r.opts.Client && masked {
		return wsProtocolError("masked frame from server")
	}
	op, fin, size := b0&0x0f, b0&wsFin != 0, uint64(b1&0x7f)
	switch op {
	case wsOpClose, wsOpPing, wsOpPong:
		switch {
		case size > wsMaxControl:
			return wsProtocolError("control frame length bigger than maximum allowed of 125 bytes")
		case !fin:
			return wsProtocolError("control frame does not have final bit set")
		case rsv1:
			return wsProtocolError("control frame must not be compressed")
		}
	case wsOpText, wsOpBinary:
		if r.inMessage {
			return wsProtocolError("new message started before final frame for previous message was received")
		}
	case wsOpContinuation:
		if !r.inMessage || rsv1 {
			return wsProtocolError("invalid continuation frame")
		}
	default:
		return wsProtocolError("unknown opcode " + strconv.Itoa(int(op)))
	}
	n := 2
	switch size {
	case 126:
		if err := r.need(4); err != nil {
			return err
		}
		size = uint64(binary.BigEndian.Uint16(r.buf[r.r+2:]))
		n = 4
	case 127:
		if err := r.need(10); err != nil {
			return err
		}
		size = binary.BigEndian.Uint64(r.buf[r.r+2:])
		if size>>63 != 0 {
			return wsProtocolError("invalid 64-bit payload length")
		}
		n = 10
	}
	var key [4]byte
	if masked {
		if err := r.need(n + 4); err != nil {
			return err
		}
		copy(key[:], r.buf[r.r+n:])
		n += 4
	}
	if op >= wsOpClose {
		if err := r.need(n + int(size)); err != nil {
			return err
		}
		var payload [wsMaxControl]byte
		c := copy(payload[:], r.buf[r.r+n:r.r+n+int(size)])
		r.r += n + c
		if masked {
			wsMask(key, 0, payload[:c])
		}
		return r.control(op, payload[:c])
	}
	r.r += n
	if op != wsOpContinuation {
		r.compressed = rsv1
	}
	r.inMessage = !fin
	r.inFrame, r.rem, r.fin, r.masked, r.key, r.keyPos = true, size, fin, masked, key, 0
	return nil
}

// control acts on a ping, pong or close frame.
func (r *WSReader) control(op byte, payload []byte) error {
	switch op {
	case wsOpPing:
		return r.reply(wsOpPong, payload)
	case wsOpPong:
		return nil
	}
	if len(payload) == 1 {
		return wsProtocolError("close frame payload cannot be 1 byte")
	}
	code, echo := WSCloseNoStatus, payload[:0]
	if len(payload) >= 2 {
		code = int(binary.BigEndian.Uint16(payload))
		if !wsValidCloseCode(code) {
			return wsProtocolError("invalid close status code " + strconv.Itoa(code))
		}
		echo = payload
		if !utf8.Valid(payload[2:]) {
			echo = wsClosePayload(nil, WSCloseInvalidPayload, "invalid utf8 body in close frame")
		}
	}
	r.closed, r.closeCode = true, code
	if len(payload) > 2 {
		r.closeText = string(payload[2:])
	}
	if err := r.reply(wsOpClose, echo); err != nil {
		return err
	}
	return io.EOF
}

// reply hands a control frame for the peer to WSOptions.Control.
func (r *WSReader) reply(op byte, payload []byte) error {
	if r.opts.Control == nil {
		return nil
	}
	frame, err := appendWSFrame(make([]byte, 0, 6+len(payload)), wsFin|op, payload, r.opts.maskWrites(), r.opts.rand())
	if err != nil {
		return err
	}
	r.opts.Control(frame)
	return nil
}

// wsValidCloseCode reports whether a peer may send code in a close frame.
func wsValidCloseCode(code int) bool {
	switch {
	case code < 1000 || code >= 5000:
		return false
	case code == 1004 || code == WSCloseNoStatus || code == 1006 || code == WSCloseTLSHandshake:
		return false
	case code >= 1016 && code <= 2999:
		return false
	}
	return true
}

// readPayload passes on bytes of an uncompressed data frame.
func (r *WSReader) readPayload(p []byte) (int, error) {
	if r.rem == 0 {
		r.inFrame = false
		return 0, nil
	}
	if uint64(len(p)) > r.rem {
		p = p[:r.rem]
	}
	var n int
	if r.r == r.w && len(p) >= len(r.buf) {
		// A large read straight into p, without going through buf.
		if r.srcErr != nil {
			return 0, r.unexpected(r.srcErr)
		}
		var err error
		for range 100 {
			n, err = r.src.Read(p)
			if n > 0 || err != nil {
				break
			}
		}
		if err != nil {
			r.srcErr = err
		} else if n == 0 {
			r.srcErr = io.ErrNoProgress
		}
		if n == 0 {
			return 0, r.unexpected(r.srcErr)
		}
	} else {
		if r.r == r.w {
			if err := r.fill(); err != nil {
				return 0, r.unexpected(err)
			}
		}
		n = copy(p, r.buf[r.r:r.w])
		r.r += n
	}
	if r.masked {
		r.keyPos = wsMask(r.key, r.keyPos, p[:n])
	}
	if r.rem -= uint64(n); r.rem == 0 {
		r.inFrame = false
	}
	return n, nil
}

func (r *WSReader) unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// gather adds the bytes of a compressed message's frame to the message,
// and starts inflating it after its final frame.
func (r *WSReader) gather() error {
	if r.rem == 0 {
		r.inFrame = false
		if r.fin {
			return r.startInflate()
		}
		return nil
	}
	if r.r == r.w {
		if err := r.fill(); err != nil {
			return r.unexpected(err)
		}
	}
	chunk := r.buf[r.r:r.w]
	if uint64(len(chunk)) > r.rem {
		chunk = chunk[:r.rem]
	}
	if len(r.gathered)+len(chunk) > r.maxGathered {
		return wsReadError(ErrWSMessageTooBig)
	}
	if r.masked {
		r.keyPos = wsMask(r.key, r.keyPos, chunk)
	}
	r.appendGathered(chunk)
	r.r += len(chunk)
	r.rem -= uint64(len(chunk))
	return nil
}

// appendGathered adds b to the compressed message, growing its buffer no
// further than the limit (which the caller checked).
func (r *WSReader) appendGathered(b []byte) {
	if n := len(r.gathered) + len(b); n > cap(r.gathered) {
		g := make([]byte, len(r.gathered), min(max(n, 2*cap(r.gathered), 512), r.maxGathered))
		copy(g, r.gathered)
		r.gathered = g
	}
	r.gathered = append(r.gathered, b...)
}

func (r *WSReader) startInflate() error {
	if len(r.gathered)+len(wsDeflateTail) > r.maxGathered {
		return wsReadError(ErrWSMessageTooBig)
	}
	r.appendGathered(wsDeflateTail)
	r.zsrc.Reset(r.gathered)
	if r.zr == nil {
		r.zr = flate.NewReader(&r.zsrc)
	} else if err := r.zr.(flate.Resetter).Reset(&r.zsrc, nil); err != nil {
		return wsReadError(err)
	}
	r.inflating, r.inflated = true, 0
	return nil
}

// readInflated passes on bytes of the inflated message, up to the limit:
// like nats-server, the bytes within the limit go through, then the
// message fails.
func (r *WSReader) readInflated(p []byte) (int, error) {
	// One byte beyond the limit is enough to tell that it was exceeded.
	if room := r.maxMessage - r.inflated + 1; len(p) > room {
		p = p[:room]
	}
	n, err := r.zr.Read(p)
	r.inflated += n
	if over := r.inflated - r.maxMessage; over > 0 {
		return n - over, wsReadError(ErrWSMessageTooBig)
	}
	switch {
	case err == io.EOF:
		r.inflating, r.compressed = false, false
		if cap(r.gathered) > retainLimit {
			r.gathered = nil
		} else {
			r.gathered = r.gathered[:0]
		}
		r.zsrc.Reset(nil)
		return n, nil
	case err != nil:
		return n, wsReadError(err)
	}
	return n, nil
}

// wsMask XORs b with key, starting at key byte pos, and returns the key
// position that follows b.
func wsMask(key [4]byte, pos int, b []byte) int {
	if len(b) >= 16 {
		var k [8]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		kw := binary.LittleEndian.Uint64(k[:])
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^kw)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}

// appendWSFrame appends one frame: the first header byte b0 (FIN, RSV1,
// opcode), the length, a fresh masking key from rnd if mask, and payload
// (masked if mask).
func appendWSFrame(dst []byte, b0 byte, payload []byte, mask bool, rnd io.Reader) ([]byte, error) {
	var h [wsMaxHeader]byte
	h[0] = b0
	var b1 byte
	if mask {
		b1 = wsMaskBit
	}
	n := 2
	switch l := len(payload); {
	case l <= wsMaxControl:
		h[1] = b1 | byte(l)
	case l <= 0xffff:
		h[1] = b1 | 126
		binary.BigEndian.PutUint16(h[2:], uint16(l))
		n = 4
	default:
		h[1] = b1 | 127
		binary.BigEndian.PutUint64(h[2:], uint64(l))
		n = 10
	}
	var key [4]byte
	if mask {
		if _, err := io.ReadFull(rnd, key[:]); err != nil {
			return dst, err
		}
		n += copy(h[n:], key[:])
	}
	dst = append(dst, h[:n]...)
	start := len(dst)
	dst = append(dst, payload...)
	if mask {
		wsMask(key, 0, dst[start:])
	}
	return dst, nil
}

// wsClosePayload appends a close frame payload: the status and text, the
// text cut to fit a control frame with "..." marking the cut.
func wsClosePayload(dst []byte, code int, text string) []byte {
	if len(text) > wsMaxControl-2 {
		text = text[:wsMaxControl-5] + "..."
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, text...)
}

// WSWriter frames outbound bytes as nats-server does: each batch becomes
// one binary message, compressed when permessage-deflate was negotiated and
// the batch is above 64 bytes, masked with a fresh key per frame in the
// client role unless no-masking was granted, and split into frames of
// WSOptions.MaxFrame when set. A WSWriter is owned by one goroutine.
type WSWriter struct {
	opts WSOptions
	out  []byte
	zw   *flate.Writer
	zbuf wsSink
}

// wsSink collects the deflater's output.
type wsSink struct{ b []byte }

func (s *wsSink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// NewWSWriter returns a writer for a connection with opts (Control is not
// used).
func NewWSWriter(opts WSOptions) *WSWriter {
	return &WSWriter{opts: opts}
}

// Encode writes b to w as websocket frames, in one Write. An empty b
// writes nothing.
func (e *WSWriter) Encode(w io.Writer, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	out, err := e.AppendFrames(e.out[:0], b)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	if cap(out) > retainLimit {
		out = nil
	}
	e.out = out[:0]
	return err
}

// AppendFrames appends the frames Encode writes for b to dst. The error
// comes from WSOptions.Rand.
func (e *WSWriter) AppendFrames(dst, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return dst, nil
	}
	if !e.opts.Compress || len(b) <= wsCompressMin {
		return e.appendPlain(dst, b)
	}
	var err error
	for limit := e.opts.maxMessage(); len(b) > 0 && err == nil; {
		chunk := b[:min(len(b), limit)]
		b = b[len(chunk):]
		dst, err = e.appendCompressed(dst, chunk)
	}
	return dst, err
}

// appendPlain writes b uncompressed: one frame, or complete messages of at
// most MaxFrame bytes each.
func (e *WSWriter) appendPlain(dst, b []byte) ([]byte, error) {
	size := len(b)
	if e.opts.MaxFrame > 0 {
		size = e.opts.MaxFrame
	}
	var err error
	for len(b) > 0 && err == nil {
		part := b[:min(len(b), size)]
		b = b[len(part):]
		dst, err = appendWSFrame(dst, wsFin|wsOpBinary, part, e.opts.maskWrites(), e.opts.rand())
	}
	return dst, err
}

// appendCompressed writes b as one compressed message: deflated on its own
// (no context takeover), without the trailing 00 00 ff ff, in one frame or
// in fragments of MaxFrame (RSV1 on the first only).
func (e *WSWriter) appendCompressed(dst, b []byte) ([]byte, error) {
	e.zbuf.b = e.zbuf.b[:0]
	if e.zw == nil {
		e.zw, _ = flate.NewWriter(&e.zbuf, flate.BestSpeed)
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(b); err != nil {
		return dst, err
	}
	if err := e.zw.Flush(); err != nil {
		return dst, err
	}
	z := bytes.TrimSuffix(e.zbuf.b, wsDeflateTail[:4])
	size := len(z)
	if e.opts.MaxFrame > 0 && !e.opts.NoCompressedFragments {
		size = e.opts.MaxFrame
	}
	b0 := byte(wsOpBinary | wsRsv1)
	var err error
	for len(z) > 0 && err == nil {
		part := z[:min(len(z), size)]
		z = z[len(part):]
		if len(z) == 0 {
			b0 |= wsFin
		}
		dst, err = appendWSFrame(dst, b0, part, e.opts.maskWrites(), e.opts.rand())
		b0 = wsOpContinuation
	}
	if cap(e.zbuf.b) > retainLimit {
		e.zbuf.b = nil
	}
	return dst, err
}

// CloseFrame is a close frame with status code and text (cut to fit, with
// "..."), masked if we mask.
func (e *WSWriter) CloseFrame(code int, text string) ([]byte, error) {
	return appendWSFrame(nil, wsFin|wsOpClose, wsClosePayload(nil, code, text), e.opts.maskWrites(), e.opts.rand())
}
