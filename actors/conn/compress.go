package conn

import (
	"bytes"
	"io"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// s2Encoder compresses the writer's batches: each batch is one complete S2
// stream, as nats-server writes them (spec 7.5). The level can change
// (s2_auto follows the RTT); the writer goroutine alone encodes.
type s2Encoder struct {
	level atomic.Pointer[string]
	w     *s2.Writer   // writer goroutine only
	cur   string       // the level w was made for
	buf   bytes.Buffer // the encoded batch, written to the socket at once
}

func newS2Encoder(level string) *s2Encoder {
	e := &s2Encoder{}
	e.level.Store(&level)
	return e
}

func (e *s2Encoder) setLevel(l string) { e.level.Store(&l) }

// Level is the level in use.
func (e *s2Encoder) Level() string { return *e.level.Load() }

// Encode writes b to w as one S2 stream, in one write: the S2 writer emits
// the stream header and every chunk separately, so it encodes into a buffer.
func (e *s2Encoder) Encode(w io.Writer, b []byte) error {
	lvl := e.Level()
	if e.w == nil || lvl != e.cur {
		e.w, e.cur = s2.NewWriter(nil, s2Options(lvl)...), lvl
	}
	e.buf.Reset()
	e.w.Reset(&e.buf)
	if _, err := e.w.Write(b); err != nil {
		return err
	}
	if err := e.w.Close(); err != nil {
		return err
	}
	_, err := w.Write(e.buf.Bytes())
	if e.buf.Cap() > s2RetainLimit {
		e.buf = bytes.Buffer{} // one large batch does not pin its buffer
	}
	return err
}

// s2RetainLimit is the largest encode buffer kept between batches.
const s2RetainLimit = 1 << 20

// s2Options are the writer options of a level: single-threaded, and
// uncompressed blocks, the default, better or best compression.
func s2Options(level string) []s2.WriterOption {
	opts := []s2.WriterOption{s2.WriterConcurrency(1)}
	switch level {
	case protocol.CompressS2Uncompress:
		opts = append(opts, s2.WriterUncompressed())
	case protocol.CompressS2Better:
		opts = append(opts, s2.WriterBetterCompression())
	case protocol.CompressS2Best:
		opts = append(opts, s2.WriterBestCompression())
	}
	return opts
}

// compression is a leaf connection's compression setting and its outcome.
type compression struct {
	mode       string  // configured (the side's mode)
	thresholds []int64 // s2_auto RTT thresholds, nanoseconds
	settled    string  // the negotiated result ("" before)
	enc        *s2Encoder
}

func newCompression(c config.CompressionOpts) compression {
	th := make([]int64, len(c.Thresholds()))
	for i, d := range c.Thresholds() {
		th[i] = int64(d)
	}
	return compression{mode: c.EffectiveMode(), thresholds: th}
}

// settle turns a negotiated mode into what this side uses: for s2_auto,
// the level of the RTT estimate (the connection's age at negotiation, as
// nats-server). It returns the level to compress with, or "" for none.
func (c *compression) settle(result string, age time.Duration) string {
	c.settled = result
	if !protocol.IsCompressLevel(result) {
		return ""
	}
	level := result
	if level == protocol.CompressS2Auto {
		level = protocol.AutoLevel(int64(age), c.thresholds)
	}
	c.settled = level
	c.enc = newS2Encoder(level)
	return level
}

// settledOr is the settled result, or def before negotiation.
func (c *compression) settledOr(def string) string {
	if c.settled == "" {
		return def
	}
	return c.settled
}

// advertised is what this side puts in its INFO: s2_auto when configured
// so, else the level it settled on.
func (c *compression) advertised() string {
	if c.mode == protocol.CompressS2Auto {
		return protocol.CompressS2Auto
	}
	return c.settled
}

// autoRTT re-evaluates an s2_auto connection's level on a new RTT (every
// PONG, as nats-server); it returns the new level when it changed.
func (c *compression) autoRTT(rtt time.Duration) (string, bool) {
	if c.enc == nil || c.mode != protocol.CompressS2Auto {
		return "", false
	}
	l := protocol.AutoLevel(int64(rtt), c.thresholds)
	if l == c.enc.Level() {
		return "", false
	}
	c.enc.setLevel(l)
	return l, true
}
