package config

import (
	"fmt"
	"strings"
	"time"
)

// Compression modes (normalized values of CompressionOpts.Mode).
const (
	CompressionNotSupported = "not supported"
	CompressionOff          = "off"
	CompressionAccept       = "accept"
	CompressionS2Auto       = "s2_auto"
	CompressionS2Fast       = "s2_fast"
	CompressionS2Better     = "s2_better"
	CompressionS2Best       = "s2_best"
)

// DefaultRTTThresholds are the s2_auto thresholds when none are given.
var DefaultRTTThresholds = []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}

// CompressionOpts is a compression setting of the leafnode listener or a
// remote.
type CompressionOpts struct {
	Mode          string // one of the Compression* constants, "" = not set
	RTTThresholds []time.Duration
}

// EffectiveMode is the mode the runtime uses: Mode, or s2_auto when unset
// (nats-server's default for the leafnode listener and remotes).
func (c CompressionOpts) EffectiveMode() string {
	if c.Mode == "" {
		return CompressionS2Auto
	}
	return c.Mode
}

// Thresholds are the s2_auto RTT thresholds in use: the configured ones,
// or the defaults.
func (c CompressionOpts) Thresholds() []time.Duration {
	if len(c.RTTThresholds) == 0 {
		return DefaultRTTThresholds
	}
	return c.RTTThresholds
}

// compression parses a compression value: a boolean, a mode string or
// { mode, rtt_thresholds }.
func (l *loader) compression(n *node, path string) (CompressionOpts, bool) {
	var c CompressionOpts
	switch v := n.val.(type) {
	case bool:
		if v {
			c.Mode = CompressionS2Auto
		} else {
			c.Mode = CompressionOff
		}
	case string:
		c.Mode = v
	case []*field:
		for _, f := range v {
			p := join(path, f.key)
			switch f.lkey {
			case "mode":
				s, ok := l.str(f.node, p)
				if !ok {
					return c, false
				}
				c.Mode = s
			case "rtt_thresholds", "thresholds", "rtts", "rtt":
				items, ok := l.array(f.node, p)
				if !ok {
					return c, false
				}
				for i, it := range items {
					s, ok := l.str(it, index(p, i))
					if !ok {
						return c, false
					}
					d, err := time.ParseDuration(s)
					if err != nil {
						l.errorf(it, index(p, i), "%v", err)
						return c, false
					}
					c.RTTThresholds = append(c.RTTThresholds, d)
				}
			default:
				if !f.node.used {
					l.errorf(f.node, p, "unknown field %q", f.key)
					return c, false
				}
			}
		}
	default:
		l.errorf(n, path, "field %q should be a boolean or a structure, got %s", lastKey(path), kind(n.val))
		return c, false
	}
	if err := normalizeCompression(&c); err != nil {
		l.errorf(n, path, "%v", err)
		return c, false
	}
	return c, true
}

// normalizeCompression maps the accepted spellings to the canonical mode and
// checks the s2_auto thresholds, like nats-server does.
func normalizeCompression(c *CompressionOpts) error {
	mode := strings.ToLower(c.Mode)
	switch mode {
	case "on", "enabled", "true":
		mode = CompressionS2Auto
	}
	switch mode {
	case "not supported", "not_supported":
		c.Mode = CompressionNotSupported
	case "off", "disabled", "false":
		c.Mode = CompressionOff
	case "accept":
		c.Mode = CompressionAccept
	case "fast", "s2_fast":
		c.Mode = CompressionS2Fast
	case "better", "s2_better":
		c.Mode = CompressionS2Better
	case "best", "s2_best":
		c.Mode = CompressionS2Best
	case "auto", "s2_auto":
		rtts, err := checkThresholds(c.Mode, c.RTTThresholds)
		if err != nil {
			return err
		}
		c.Mode = CompressionS2Auto
		c.RTTThresholds = rtts
	default:
		return fmt.Errorf("unsupported compression mode %q", c.Mode)
	}
	return nil
}

// checkThresholds validates s2_auto RTT thresholds: negative values count as
// zero (level unused), non-zero values ascend, trailing zeros are dropped,
// at most four and at least one remain. None given means the defaults.
func checkThresholds(mode string, given []time.Duration) ([]time.Duration, error) {
	if len(given) == 0 {
		return append([]time.Duration(nil), DefaultRTTThresholds...), nil
	}
	var out []time.Duration
	var highest time.Duration
	for _, d := range given {
		if d < 0 {
			d = 0
		}
		if d != 0 {
			if d < highest {
				return nil, fmt.Errorf("RTT threshold values %v should be in ascending order", given)
			}
			highest = d
		}
		out = append(out, d)
	}
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	if len(out) > 4 {
		return nil, fmt.Errorf("compression mode %q should have no more than 4 RTT thresholds: %v", mode, given)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("compression mode %q requires at least one RTT threshold", mode)
	}
	return out, nil
}
