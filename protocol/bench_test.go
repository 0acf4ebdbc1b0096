package protocol

import (
	"bytes"
	"testing"
)

// Payload sizes of the benchmarks; names are padded so that the result
// columns line up.
var benchSizes = []struct {
	name string
	size int
}{
	{"____16B", 16},
	{"___256B", 256},
	{"__4KiB_", 4 << 10},
	{"_64KiB_", 64 << 10},
}

func benchParse(b *testing.B, mode Mode, wire []byte, split bool) {
	p := NewParser(mode, Limits{MaxPayload: -1, MaxControlLine: LeafControlLineFactor * DefaultMaxControlLine})
	var h NopHandler
	half := len(wire) / 2
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if split {
			if err := p.Parse(wire[:half], h); err != nil {
				b.Fatal(err)
			}
			if err := p.Parse(wire[half:], h); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err := p.Parse(wire, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePub parses one PUB per call, arriving whole.
func BenchmarkParsePub(b *testing.B) {
	for _, s := range benchSizes {
		wire := AppendPub(nil, []byte("foo.bar.baz"), []byte("_INBOX.abcdef"), bytes.Repeat([]byte("x"), s.size))
		b.Run(s.name, func(b *testing.B) { benchParse(b, ClientMode, wire, false) })
	}
}

// BenchmarkParsePubSplit parses one PUB per two calls, cut in the middle, so
// the payload is gathered in the parser's buffer.
func BenchmarkParsePubSplit(b *testing.B) {
	for _, s := range benchSizes {
		wire := AppendPub(nil, []byte("foo.bar.baz"), []byte("_INBOX.abcdef"), bytes.Repeat([]byte("x"), s.size))
		b.Run(s.name, func(b *testing.B) { benchParse(b, ClientMode, wire, true) })
	}
}

// BenchmarkParseLMsg parses one LMSG with a reply and two queue groups.
func BenchmarkParseLMsg(b *testing.B) {
	queues := [][]byte{[]byte("workers"), []byte("audit")}
	for _, s := range benchSizes {
		wire := AppendLMsg(nil, []byte("foo.bar.baz"), []byte("_INBOX.abcdef"), queues, -1, bytes.Repeat([]byte("x"), s.size))
		b.Run(s.name, func(b *testing.B) { benchParse(b, LeafMode, wire, false) })
	}
}

// BenchmarkParseBatch parses a 64 KiB read full of small PUBs, the shape
// of a busy publisher's reads; the figure is per PUB.
func BenchmarkParseBatch(b *testing.B) {
	one := AppendPub(nil, []byte("foo.bar.baz"), nil, bytes.Repeat([]byte("x"), 16))
	n := (64 << 10) / len(one)
	wire := bytes.Repeat(one, n)
	p := NewParser(ClientMode, Limits{})
	var h NopHandler
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(wire, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pub")
}

// BenchmarkAppendMsg encodes one MSG into a reused buffer.
func BenchmarkAppendMsg(b *testing.B) {
	for _, s := range benchSizes {
		payload := bytes.Repeat([]byte("x"), s.size)
		subject, sid, reply := []byte("foo.bar.baz"), []byte("12"), []byte("_INBOX.abcdef")
		b.Run(s.name, func(b *testing.B) {
			dst := make([]byte, 0, s.size+128)
			b.SetBytes(int64(len(AppendMsg(nil, subject, sid, reply, payload))))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendMsg(dst[:0], subject, sid, reply, payload)
			}
		})
	}
}

// BenchmarkAppendLMsg encodes one LMSG with queue groups held as strings.
func BenchmarkAppendLMsg(b *testing.B) {
	groups := []string{"workers", "audit"}
	for _, s := range benchSizes {
		payload := bytes.Repeat([]byte("x"), s.size)
		subject, reply := []byte("foo.bar.baz"), []byte("_INBOX.abcdef")
		b.Run(s.name, func(b *testing.B) {
			dst := make([]byte, 0, s.size+128)
			b.SetBytes(int64(len(AppendLMsgGroups(nil, subject, reply, groups, -1, payload))))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendLMsgGroups(dst[:0], subject, reply, groups, -1, payload)
			}
		})
	}
}
