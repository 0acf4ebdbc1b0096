package protocol

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// randomStream builds a stream of valid operations for a mode, with an
// occasional malformed one at the end, from the encoders and a few
// hand-written variants (lower case, tabs, bare LF).
func randomStream(rnd *rand.Rand, mode Mode) []byte {
	token := func() []byte {
		return []byte([]string{"foo", "bar", "*", ">", "a.b.c", "_INBOX.x1", "$LDS.n"}[rnd.IntN(7)])
	}
	payload := func() []byte {
		b := make([]byte, []int{0, 1, 2, 5, 40, 300}[rnd.IntN(6)])
		for i := range b {
			b[i] = "ab\r\n \t"[rnd.IntN(6)]
		}
		return b
	}
	maybe := func(b []byte) []byte {
		if rnd.IntN(2) == 0 {
			return nil
		}
		return b
	}
	var s []byte
	for range 1 + rnd.IntN(12) {
		msg := payload()
		hdr := rnd.IntN(len(msg) + 1)
		switch rnd.IntN(4) {
		case 0:
			s = append(s, []string{PingLine, PongLine, "ping\n", "PING garbage\r\n"}[rnd.IntN(4)]...)
			continue
		case 1:
			hdr = -1
		}
		switch mode {
		case ClientMode:
			switch rnd.IntN(4) {
			case 0:
				s = AppendHPub(s, token(), maybe(token()), hdr, msg)
			case 1:
				s = AppendSub(s, string(token()), string(maybe(token())), "7")
			case 2:
				s = AppendUnsub(s, "7", rnd.IntN(3))
			default:
				s = append(s, "pub\t"+string(token())+"  "+strconv.Itoa(len(msg))+"\n"...)
				s = append(append(s, msg...), "\r\n"...)
			}
		case LeafMode:
			var queues [][]byte
			for range rnd.IntN(3) {
				queues = append(queues, token())
			}
			switch rnd.IntN(4) {
			case 0:
				s = AppendLMsg(s, token(), maybe(token()), queues, hdr, msg)
			case 1:
				s = AppendLSub(s, token(), maybe(token()), rnd.IntN(5))
			case 2:
				s = AppendLUnsub(s, token(), maybe(token()))
			default:
				s = AppendErr(s, ErrTextStale)
			}
		case ServerMode:
			switch rnd.IntN(3) {
			case 0:
				s = AppendHMsg(s, token(), []byte("9"), maybe(token()), hdr, msg)
			case 1:
				s, _ = AppendInfo(s, ServerInfo{ID: "N", MaxPayload: 10})
			default:
				s = append(s, OKLine...)
			}
		}
	}
	if rnd.IntN(4) == 0 {
		s = append(s, []string{"XYZ\r\n", "PUB foo 3\r\nabcd", "LS+ a b\r\n", "MSG x\r\n", "+OK"}[rnd.IntN(5)]...)
	}
	return s
}

// Split invariance: whatever the read boundaries, the handler sees the same
// calls and the parser returns the same error.
func TestSplitInvariance(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	ops := 0
	for _, mode := range []Mode{ClientMode, LeafMode, ServerMode} {
		cfg := parseConfig{mode: mode}
		for range 300 {
			stream := randomStream(rnd, mode)
			whole := cfg.run(stream, nil)
			ops += len(whole)
			if got := cfg.run(stream, everyByte(len(stream))); !slices.Equal(got, whole) {
				t.Fatalf("%v byte by byte %q:\ngot  %q\nwant %q", mode, stream, got, whole)
			}
			for range 5 {
				cuts := randomCuts(rnd, len(stream), 1+rnd.IntN(6))
				if got := cfg.run(stream, cuts); !slices.Equal(got, whole) {
					t.Fatalf("%v cuts %v %q:\ngot  %q\nwant %q", mode, cuts, stream, got, whole)
				}
			}
		}
	}
	t.Logf("%d handler calls compared", ops)
}
