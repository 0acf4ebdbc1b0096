package protocol

import (
	"testing"
	"time"
)

func nanos(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = int64(d)
	}
	return out
}

// TestNegotiateCompression replays spec 7.2's table and the combinations
// observed between nats-server peers.
func TestNegotiateCompression(t *testing.T) {
	for _, tc := range []struct{ mine, theirs, want string }{
		{CompressOff, CompressS2Auto, CompressOff},
		{CompressOff, "", CompressNotSupported},
		{CompressNotSupported, CompressS2Auto, CompressNotSupported},
		{CompressS2Auto, "", CompressNotSupported},
		{CompressS2Auto, CompressNotSupported, CompressNotSupported},
		{CompressS2Auto, CompressOff, CompressOff},
		{CompressAccept, CompressAccept, CompressOff},
		{CompressS2Auto, CompressAccept, CompressS2Auto},
		{CompressAccept, CompressS2Auto, CompressS2Fast},
		{CompressAccept, CompressS2Best, CompressS2Best},
		{CompressS2Better, CompressS2Best, CompressS2Better},
		{CompressS2Best, CompressAccept, CompressS2Best},
		{CompressS2Auto, CompressS2Auto, CompressS2Auto},
		{CompressS2Fast, CompressS2Uncompress, CompressS2Fast},
	} {
		got, err := NegotiateCompression(tc.mine, tc.theirs)
		if err != nil || got != tc.want {
			t.Errorf("mine %q theirs %q: got %q %v, want %q", tc.mine, tc.theirs, got, err, tc.want)
		}
	}
	if _, err := NegotiateCompression(CompressS2Auto, "zstd"); err == nil {
		t.Error("an unknown mode must be an error")
	}
}

func TestAutoLevel(t *testing.T) {
	def := []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}
	ms := time.Millisecond
	for _, tc := range []struct {
		rtt  time.Duration
		th   []time.Duration
		want string
	}{
		{time.Millisecond, def, CompressS2Uncompress},
		{20 * ms, def, CompressS2Fast},
		{80 * ms, def, CompressS2Better},
		{200 * ms, def, CompressS2Best},
		{200 * ms, []time.Duration{10 * ms, 50 * ms}, CompressS2Fast},
		{5 * ms, []time.Duration{0, 50 * ms}, CompressS2Fast},
	} {
		if got := AutoLevel(int64(tc.rtt), nanos(tc.th)); got != tc.want {
			t.Errorf("AutoLevel(%v, %v) = %q, want %q", tc.rtt, tc.th, got, tc.want)
		}
	}
}
