package protocol

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzWSFrames: for any input, in either role, with or without compression
// and masking, reading it whole, cut in two with reads of another size, and
// one byte at a time gives the same bytes, control frames and error;
// nothing panics and the compressed-message buffers stay within their
// limits. And any payload, encoded in two batches by the peer's writer,
// reads back unchanged.
func FuzzWSFrames(f *testing.F) {
	compressed, _ := NewWSWriter(WSOptions{Compress: true}).AppendFrames(nil, bytes.Repeat([]byte("PUB foo 2\r\nhi\r\n"), 8))
	masked, _ := NewWSWriter(WSOptions{Client: true, Compress: true, MaxFrame: 16, Rand: &keys{}}).AppendFrames(nil, bytes.Repeat([]byte("PING\r\n"), 20))
	for _, seed := range []struct {
		mode uint8
		in   []byte
	}{
		{1, hexBytes("81 05 48 65 6c 6c 6f")},
		{0, hexBytes("81 85 37 fa 21 3d 7f 9f 4d 51 58")},
		{1, hexBytes("01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f")},
		{1, hexBytes("82 7e 01 00")},
		{1, hexBytes("88 05 03 e8 62 79 65 82 01 21")},
		{1, hexBytes("88 03 03 e8 ff")},
		{3, compressed},
		{2, masked},
		{6, masked},
		{3, hexBytes("c2 7f 7f ff ff ff ff ff ff ff 01 02 03")},
		{1, hexBytes("82 7f 80 00 00 00 00 00 00 01")},
	} {
		f.Add(seed.mode, uint16(len(seed.in)/2), uint8(3), seed.in)
	}
	f.Fuzz(func(t *testing.T, mode uint8, cut uint16, size uint8, input []byte) {
		opts := WSOptions{
			Client:     mode&1 != 0,
			Compress:   mode&2 != 0,
			NoMasking:  mode&4 != 0,
			MaxFrame:   []int{0, 7, 100}[int(mode>>3)%3],
			MaxMessage: 512,
		}
		whole, r := readWS(bytes.NewReader(input), opts, 4096)
		if cap(r.gathered) > r.maxGathered || r.inflated > r.maxMessage+1 {
			t.Fatalf("buffers beyond the limits: gathered %d, inflated %d", cap(r.gathered), r.inflated)
		}
		at := int(cut) % (len(input) + 1)
		if got, _ := readWS(split(input, at), opts, int(size)%64+1); got.String() != whole.String() {
			t.Fatalf("cut at %d, reads of %d:\ngot  %v\nwant %v", at, int(size)%64+1, got, whole)
		}
		if len(input) <= 512 {
			if got, _ := readWS(iotest.OneByteReader(bytes.NewReader(input)), opts, 1); got.String() != whole.String() {
				t.Fatalf("byte by byte:\ngot  %v\nwant %v", got, whole)
			}
		}

		// The round trip: the peer writes input, we read it.
		peer := opts
		peer.Client = !opts.Client
		peer.Rand = &keys{}
		w := NewWSWriter(peer)
		var wire bytes.Buffer
		for _, b := range [][]byte{input[:at], input[at:]} {
			if err := w.Encode(&wire, b); err != nil {
				t.Fatal(err)
			}
		}
		back, _ := readWS(bytes.NewReader(wire.Bytes()), opts, int(size)+1)
		if !bytes.Equal(back.out, input) || back.err != io.EOF || len(back.controls) != 0 {
			t.Fatalf("round trip: %v", back)
		}
	})
}
