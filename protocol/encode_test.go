package protocol

import (
	"testing"
)

func TestEncodeGolden(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	hdrMsg := b("NATS/1.0\r\n\r\nhi")
	queues := [][]byte{b("q1"), b("q2")}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"msg", AppendMsg(nil, b("foo"), b("1"), nil, b("hello")), "MSG foo 1 5\r\nhello\r\n"},
		{"msg reply", AppendMsg(nil, b("foo"), b("1"), b("_INBOX.a"), b("hi")), "MSG foo 1 _INBOX.a 2\r\nhi\r\n"},
		{"msg empty reply", AppendMsg(nil, b("foo"), b("1"), b(""), nil), "MSG foo 1 0\r\n\r\n"},
		{"hmsg", AppendHMsg(nil, b("foo"), b("1"), nil, 12, hdrMsg), "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"hmsg reply", AppendHMsg(nil, b("foo"), b("1"), b("r"), 12, hdrMsg), "HMSG foo 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"msg sid", AppendMsgSID(nil, b("foo"), "22", b("r"), -1, b("x")), "MSG foo 22 r 1\r\nx\r\n"},
		{"hmsg sid", AppendMsgSID(nil, b("foo"), "22", nil, 12, hdrMsg), "HMSG foo 22 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"msg string", AppendMsgString(nil, "foo", "3", "", -1, b("x")), "MSG foo 3 1\r\nx\r\n"},
		{"pub", AppendPub(nil, b("foo"), nil, b("hello")), "PUB foo 5\r\nhello\r\n"},
		{"pub reply", AppendPub(nil, b("foo"), b("r"), b("")), "PUB foo r 0\r\n\r\n"},
		{"hpub", AppendHPub(nil, b("foo"), b("r"), 12, hdrMsg), "HPUB foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"pub string", AppendPubString(nil, "foo", "", 0, b("ab")), "HPUB foo 0 2\r\nab\r\n"},
		{"sub", AppendSub(nil, "foo.*", "", "1"), "SUB foo.* 1\r\n"},
		{"sub queue", AppendSub(nil, "foo", "q", "2"), "SUB foo q 2\r\n"},
		{"unsub", AppendUnsub(nil, "1", 0), "UNSUB 1\r\n"},
		{"unsub max", AppendUnsub(nil, "1", 5), "UNSUB 1 5\r\n"},
		{"lmsg", AppendLMsg(nil, b("foo"), nil, nil, -1, b("hi")), "LMSG foo 2\r\nhi\r\n"},
		{"lmsg reply", AppendLMsg(nil, b("foo"), b("r1"), nil, -1, b("hi")), "LMSG foo r1 2\r\nhi\r\n"},
		{"lmsg + reply queues", AppendLMsg(nil, b("foo"), b("r1"), [][]byte{b("qx")}, -1, b("hi")), "LMSG foo + r1 qx 2\r\nhi\r\n"},
		{"lmsg | queues", AppendLMsg(nil, b("foo"), nil, queues, -1, b("hi")), "LMSG foo | q1 q2 2\r\nhi\r\n"},
		{"leaf hmsg", AppendLMsg(nil, b("foo"), nil, nil, 12, hdrMsg), "HMSG foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"leaf hmsg | queues", AppendLMsg(nil, b("foo"), nil, [][]byte{b("qx")}, 12, hdrMsg), "HMSG foo | qx 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"leaf hmsg + reply", AppendLMsg(nil, b("foo"), b("r"), queues, 12, hdrMsg), "HMSG foo + r q1 q2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
		{"lmsg groups", AppendLMsgGroups(nil, b("foo"), b("r1"), []string{"qx"}, -1, b("hi")), "LMSG foo + r1 qx 2\r\nhi\r\n"},
		{"lmsg string", AppendLMsgString(nil, "foo", "", []string{"a", "b"}, -1, b("hi")), "LMSG foo | a b 2\r\nhi\r\n"},
		{"ls+", AppendLSub(nil, b("foo.bar"), nil, 5), "LS+ foo.bar\r\n"},
		{"ls+ queue", AppendLSub(nil, b("foo.bar"), b("q1"), 3), "LS+ foo.bar q1 3\r\n"},
		{"ls+ weight floor", AppendLSub(nil, b("foo"), b("q"), 0), "LS+ foo q 1\r\n"},
		{"ls+ weight cap", AppendLSubString(nil, "foo", "q", 2_000_000_000), "LS+ foo q 999999999\r\n"},
		{"ls-", AppendLUnsub(nil, b("foo.bar"), nil), "LS- foo.bar\r\n"},
		{"ls- queue", AppendLUnsubString(nil, "foo.bar", "q1"), "LS- foo.bar q1\r\n"},
		{"err", AppendErr(nil, ErrTextStale), "-ERR 'Stale Connection'\r\n"},
		{"err perm", AppendErr(nil, PermPubText("foo")), "-ERR 'Permissions Violation for Publish to \"foo\"'\r\n"},
		{"append keeps prefix", AppendLUnsub([]byte(PingLine), b("x"), nil), "PING\r\nLS- x\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if PingLine != "PING\r\n" || PongLine != "PONG\r\n" || OKLine != "+OK\r\n" {
		t.Error("fixed lines changed")
	}
}

func TestEncodeJSONLines(t *testing.T) {
	got, err := AppendInfo([]byte("x"), ServerInfo{ID: "N", Name: "HUB", Version: "2.15.2", Proto: 1, GoVersion: "go1.26.8",
		Host: "127.0.0.1", Port: 4222, Headers: true, MaxPayload: 1 << 20, ClientID: 5, ClientIP: "127.0.0.1", JSAPILevel: 5})
	want := `xINFO {"server_id":"N","server_name":"HUB","version":"2.15.2","proto":1,"go":"go1.26.8","host":"127.0.0.1","port":4222,"headers":true,"max_payload":1048576,"client_id":5,"client_ip":"127.0.0.1","api_lvl":5}` + "\r\n"
	if err != nil || string(got) != want {
		t.Errorf("AppendInfo = %q, %v;\nwant %q", got, err, want)
	}
	got, err = AppendConnect(nil, ConnectInfo{Version: "2.15.2", Name: "LEAF1", Protocol: 3})
	if want := `CONNECT {"version":"2.15.2","name":"LEAF1","protocol":3}` + "\r\n"; err != nil || string(got) != want {
		t.Errorf("AppendConnect = %q, %v; want %q", got, err, want)
	}
	if got, err := AppendInfo([]byte("keep"), func() {}); err == nil || string(got) != "keep" {
		t.Errorf("AppendInfo(func) = %q, %v; want dst unchanged and an error", got, err)
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 4096)
	subject, sid, reply := []byte("foo.bar"), []byte("1"), []byte("_INBOX.abc")
	msg := []byte("NATS/1.0\r\n\r\nhello")
	queues := [][]byte{[]byte("q1"), []byte("q2")}
	groups := []string{"q1", "q2"}
	n := allocsIn(func() {
		b := dst[:0]
		b = AppendMsg(b, subject, sid, reply, msg)
		b = AppendHMsg(b, subject, sid, reply, 12, msg)
		b = AppendMsgSID(b, subject, "1", reply, 12, msg)
		b = AppendMsgString(b, "foo.bar", "1", "", -1, msg)
		b = AppendPub(b, subject, reply, msg)
		b = AppendHPub(b, subject, reply, 12, msg)
		b = AppendPubString(b, "foo", "", -1, msg)
		b = AppendSub(b, "foo", "q", "1")
		b = AppendUnsub(b, "1", 10)
		b = AppendLMsg(b, subject, reply, queues, 12, msg)
		b = AppendLMsgGroups(b, subject, nil, groups, -1, msg)
		b = AppendLMsgString(b, "foo", "r", groups, -1, msg)
		b = AppendLSub(b, subject, queues[0], 7)
		b = AppendLSubString(b, "foo", "q", 7)
		b = AppendLUnsub(b, subject, queues[0])
		b = AppendLUnsubString(b, "foo", "")
		b = AppendErr(b, ErrTextStale)
		_ = b
	})
	if n != 0 {
		t.Errorf("encoders allocated %v times with room in dst, want 0", n)
	}
}
