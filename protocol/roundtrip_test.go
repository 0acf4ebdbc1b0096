package protocol

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// capture keeps copies of what the parser reports.
type capture struct {
	NopHandler
	subject, sid, reply []byte
	queues              [][]byte
	hdr                 int
	msg                 []byte
	calls               int
	json                []byte
	weight              int
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func (c *capture) Msg(subject, sid, reply []byte, hdr int, msg []byte) error {
	c.subject, c.sid, c.reply, c.hdr, c.msg = clone(subject), clone(sid), clone(reply), hdr, clone(msg)
	c.calls++
	return nil
}

func (c *capture) Pub(subject, reply []byte, hdr int, msg []byte) error {
	c.subject, c.reply, c.hdr, c.msg = clone(subject), clone(reply), hdr, clone(msg)
	c.calls++
	return nil
}

func (c *capture) LMsg(subject, reply []byte, queues [][]byte, hdr int, msg []byte) error {
	c.subject, c.reply, c.hdr, c.msg = clone(subject), clone(reply), hdr, clone(msg)
	c.queues = nil
	for _, q := range queues {
		c.queues = append(c.queues, clone(q))
	}
	c.calls++
	return nil
}

func (c *capture) LSub(subject, queue []byte, weight int) error {
	c.subject, c.queues, c.weight = clone(subject), [][]byte{clone(queue)}, weight
	c.calls++
	return nil
}

func (c *capture) LUnsub(subject, queue []byte) error {
	c.subject, c.queues, c.weight = clone(subject), [][]byte{clone(queue)}, 0
	c.calls++
	return nil
}

func (c *capture) Info(arg []byte) error    { c.json = clone(arg); c.calls++; return nil }
func (c *capture) Connect(arg []byte) error { c.json = clone(arg); c.calls++; return nil }

func parseOne(t *testing.T, mode Mode, wire []byte) *capture {
	t.Helper()
	c := &capture{}
	if err := NewParser(mode, Limits{MaxPayload: -1}).Parse(wire, c); err != nil || c.calls != 1 {
		t.Fatalf("parsing %q: err %v, %d calls; want one", wire, err, c.calls)
	}
	return c
}

func randomBytes(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.UintN(256))
	}
	return b
}

func randomName(rnd *rand.Rand) []byte {
	const chars = "abcXYZ019_-$*>."
	b := make([]byte, 1+rnd.IntN(12))
	for i := range b {
		b[i] = chars[rnd.IntN(len(chars))]
	}
	return b
}

func optional(rnd *rand.Rand) []byte {
	if rnd.IntN(2) == 0 {
		return nil
	}
	return randomName(rnd)
}

func TestRoundTripMsg(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		subject, sid, reply := randomName(rnd), randomName(rnd), optional(rnd)
		msg := randomBytes(rnd, rnd.IntN(300))
		hdr := -1
		var wire []byte
		if rnd.IntN(2) == 0 {
			wire = AppendMsg(nil, subject, sid, reply, msg)
		} else {
			hdr = rnd.IntN(len(msg) + 1)
			wire = AppendHMsg(nil, subject, sid, reply, hdr, msg)
		}
		c := parseOne(t, ServerMode, wire)
		if !bytes.Equal(c.subject, subject) || !bytes.Equal(c.sid, sid) || !bytes.Equal(c.reply, reply) ||
			c.hdr != hdr || !bytes.Equal(c.msg, msg) {
			t.Fatalf("%q parsed back as %+v", wire, c)
		}
	}
}

func TestRoundTripPub(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		subject, reply := randomName(rnd), optional(rnd)
		msg := randomBytes(rnd, rnd.IntN(300))
		hdr := -1
		if rnd.IntN(2) == 0 {
			hdr = rnd.IntN(len(msg) + 1)
		}
		wire := AppendPubString(nil, string(subject), string(reply), hdr, msg)
		c := parseOne(t, ClientMode, wire)
		if !bytes.Equal(c.subject, subject) || !bytes.Equal(c.reply, reply) || c.hdr != hdr || !bytes.Equal(c.msg, msg) {
			t.Fatalf("%q parsed back as %+v", wire, c)
		}
	}
}

func TestRoundTripLMsg(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for range 500 {
		subject, reply := randomName(rnd), optional(rnd)
		var queues [][]byte
		for range rnd.IntN(4) {
			queues = append(queues, randomName(rnd))
		}
		msg := randomBytes(rnd, rnd.IntN(300))
		hdr := -1
		if rnd.IntN(2) == 0 {
			hdr = rnd.IntN(len(msg) + 1)
		}
		wire := AppendLMsg(nil, subject, reply, queues, hdr, msg)
		c := parseOne(t, LeafMode, wire)
		if !bytes.Equal(c.subject, subject) || !bytes.Equal(c.reply, reply) || c.hdr != hdr ||
			!bytes.Equal(c.msg, msg) || !reflect.DeepEqual(c.queues, queues) {
			t.Fatalf("%q parsed back as %+v", wire, c)
		}
	}
}

func TestRoundTripLSub(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		subject, queue := randomName(rnd), optional(rnd)
		weight := rnd.IntN(2_000_000_000) - 5
		c := parseOne(t, LeafMode, AppendLSub(nil, subject, queue, weight))
		want := 1
		if queue != nil {
			want = min(max(weight, 1), MaxSize)
		}
		if !bytes.Equal(c.subject, subject) || !bytes.Equal(c.queues[0], queue) || c.weight != want {
			t.Fatalf("LS+ %q %q %d parsed back as %+v", subject, queue, weight, c)
		}
		c = parseOne(t, LeafMode, AppendLUnsub(nil, subject, queue))
		if !bytes.Equal(c.subject, subject) || !bytes.Equal(c.queues[0], queue) {
			t.Fatalf("LS- %q %q parsed back as %+v", subject, queue, c)
		}
	}
}

func TestRoundTripJSON(t *testing.T) {
	info := ServerInfo{ID: "N", Name: "HUB", Proto: 1, Headers: true, MaxPayload: 100, ClientID: 7,
		Nonce: "abc", ConnectInfo: true, RemoteAccount: "A", InfoOnConnect: true,
		Import:       &SubjectPermission{Allow: []string{"sub.>"}, Deny: []string{"sub.secret"}},
		LeafNodeURLs: []string{"127.0.0.1:7422"}}
	wire, err := AppendInfo(nil, info)
	if err != nil {
		t.Fatal(err)
	}
	var back ServerInfo
	if err := json.Unmarshal(parseOne(t, LeafMode, wire).json, &back); err != nil || !reflect.DeepEqual(back, info) {
		t.Fatalf("INFO round trip: %v\n got %+v\nwant %+v", err, back, info)
	}
	connect := ConnectInfo{Version: "2.15.2", User: "u", Pass: "p", Name: "L", Cluster: "L",
		Headers: true, DenyPub: []string{"x"}, Compression: "not supported", RemoteAccount: "$G", Protocol: 3}
	if wire, err = AppendConnect(nil, connect); err != nil {
		t.Fatal(err)
	}
	var cback ConnectInfo
	if err := json.Unmarshal(parseOne(t, LeafMode, wire).json, &cback); err != nil || !reflect.DeepEqual(cback, connect) {
		t.Fatalf("CONNECT round trip: %v\n got %+v\nwant %+v", err, cback, connect)
	}
}
