package protocol

import "errors"

// Compression modes and levels on leaf connections (spec 7.1). The levels
// are what a side compresses its own writes with; the modes are what it is
// configured with.
const (
	CompressNotSupported = "not supported"
	CompressOff          = "off"
	CompressAccept       = "accept"
	CompressS2Auto       = "s2_auto"
	CompressS2Uncompress = "s2_uncompressed"
	CompressS2Fast       = "s2_fast"
	CompressS2Better     = "s2_better"
	CompressS2Best       = "s2_best"
)

// ErrCompressMode: the peer announced a mode we do not know.
var ErrCompressMode = errors.New("unsupported compression mode")

// IsCompressLevel reports whether mode compresses (a level, or s2_auto).
func IsCompressLevel(mode string) bool {
	switch mode {
	case CompressS2Auto, CompressS2Uncompress, CompressS2Fast, CompressS2Better, CompressS2Best:
		return true
	}
	return false
}

// NeedsNegotiation reports whether a side configured with mode takes part
// in compression negotiation (everything but off and not supported).
func NeedsNegotiation(mode string) bool {
	return mode != CompressOff && mode != CompressNotSupported && mode != ""
}

// NegotiateCompression is spec 7.2: the mode this side settles on, given its
// own configured mode and what the peer advertised ("" when absent). The
// result is a level, s2_auto (to be turned into a level by the RTT), off or
// not supported.
func NegotiateCompression(mine, theirs string) (string, error) {
	if !NeedsNegotiation(mine) {
		if theirs == "" || mine == CompressNotSupported {
			return CompressNotSupported, nil
		}
		return CompressOff, nil
	}
	switch theirs {
	case "", CompressNotSupported:
		return CompressNotSupported, nil
	case CompressOff:
		return CompressOff, nil
	case CompressAccept:
		if mine == CompressAccept {
			return CompressOff, nil
		}
		return mine, nil
	case CompressS2Auto, CompressS2Uncompress, CompressS2Fast, CompressS2Better, CompressS2Best:
		if mine == CompressAccept {
			if theirs == CompressS2Auto {
				return CompressS2Fast, nil
			}
			return theirs, nil
		}
		return mine, nil
	}
	return "", ErrCompressMode
}

// AutoLevel is spec 7.4: the level s2_auto uses for a round-trip time. The
// first threshold at or above rtt picks uncompressed, fast, better, best;
// beyond the last, best if there are at least three thresholds, else the
// level of the last; zero thresholds are never picked. Durations are in
// nanoseconds (this package has no clock).
func AutoLevel(rtt int64, thresholds []int64) string {
	levels := [...]string{CompressS2Uncompress, CompressS2Fast, CompressS2Better, CompressS2Best}
	last := ""
	for i, th := range thresholds {
		if i >= len(levels) {
			break
		}
		if th == 0 {
			continue
		}
		last = levels[i]
		if rtt <= th {
			return levels[i]
		}
	}
	if len(thresholds) >= 3 || last == "" {
		return CompressS2Best
	}
	return last
}
