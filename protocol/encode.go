package protocol

import (
	"encoding/json"
	"strconv"
)

// Fixed protocol lines.
const (
	PingLine = "PING\r\n"
	PongLine = "PONG\r\n"
	OKLine   = "+OK\r\n"
)

const crlf = "\r\n"

// The Append functions encode one operation at the end of dst and return the
// extended slice, like strconv.AppendInt: they allocate only when dst must
// grow. They do not validate subjects or names; a size is len(msg) or
// len(payload). For HMSG and HPUB, hdrLen is the header size within msg and
// must be between 0 and len(msg).
//
// Variants whose names end in String (or that take a string sid or []string
// queues) accept the strings the data path holds, such as subscription ids
// and queue group names, without converting them.

// text is what the encoders accept for subjects, sids and names.
type text interface{ ~string | ~[]byte }

// AppendMsg appends MSG <subject> <sid> [reply] <size>, then payload.
// reply is omitted when empty.
func AppendMsg(dst, subject, sid, reply, payload []byte) []byte {
	return appendMsg(dst, subject, sid, reply, -1, payload)
}

// AppendHMsg appends HMSG <subject> <sid> [reply] <hdr_size> <total_size>,
// then msg (headers and payload), in the client layout.
func AppendHMsg(dst, subject, sid, reply []byte, hdrLen int, msg []byte) []byte {
	return appendMsg(dst, subject, sid, reply, hdrLen, msg)
}

// AppendMsgSID is AppendMsg (hdrLen < 0) or AppendHMsg (hdrLen >= 0) with the
// sid as a string, the way subscriptions store it.
func AppendMsgSID(dst, subject []byte, sid string, reply []byte, hdrLen int, msg []byte) []byte {
	return appendMsg(dst, subject, sid, reply, hdrLen, msg)
}

// AppendMsgString is AppendMsg (hdrLen < 0) or AppendHMsg (hdrLen >= 0) with
// every name as a string.
func AppendMsgString(dst []byte, subject, sid, reply string, hdrLen int, msg []byte) []byte {
	return appendMsg(dst, subject, sid, reply, hdrLen, msg)
}

func appendMsg[S, I text](dst []byte, subject S, sid I, reply S, hdrLen int, msg []byte) []byte {
	if hdrLen >= 0 {
		dst = append(dst, "HMSG "...)
	} else {
		dst = append(dst, "MSG "...)
	}
	dst = append(dst, subject...)
	dst = append(dst, ' ')
	dst = append(dst, sid...)
	return appendTail(dst, reply, hdrLen, msg)
}

// appendTail appends [ reply] [ hdr] size CR LF msg CR LF.
func appendTail[S text](dst []byte, reply S, hdrLen int, msg []byte) []byte {
	if len(reply) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, reply...)
	}
	dst = append(dst, ' ')
	if hdrLen >= 0 {
		dst = strconv.AppendInt(dst, int64(hdrLen), 10)
		dst = append(dst, ' ')
	}
	dst = strconv.AppendInt(dst, int64(len(msg)), 10)
	dst = append(dst, crlf...)
	dst = append(dst, msg...)
	return append(dst, crlf...)
}

// AppendPub appends PUB <subject> [reply] <size>, then payload.
func AppendPub(dst, subject, reply, payload []byte) []byte {
	return appendPub(dst, subject, reply, -1, payload)
}

// AppendHPub appends HPUB <subject> [reply] <hdr_size> <total_size>, then
// msg.
func AppendHPub(dst, subject, reply []byte, hdrLen int, msg []byte) []byte {
	return appendPub(dst, subject, reply, hdrLen, msg)
}

// AppendPubString is AppendPub (hdrLen < 0) or AppendHPub (hdrLen >= 0) with
// string names.
func AppendPubString(dst []byte, subject, reply string, hdrLen int, msg []byte) []byte {
	return appendPub(dst, subject, reply, hdrLen, msg)
}

func appendPub[S text](dst []byte, subject, reply S, hdrLen int, msg []byte) []byte {
	if hdrLen >= 0 {
		dst = append(dst, "HPUB "...)
	} else {
		dst = append(dst, "PUB "...)
	}
	dst = append(dst, subject...)
	return appendTail(dst, reply, hdrLen, msg)
}

// AppendSub appends SUB <subject> [queue] <sid>; queue is omitted when empty.
func AppendSub(dst []byte, subject, queue, sid string) []byte {
	dst = append(dst, "SUB "...)
	dst = append(dst, subject...)
	if queue != "" {
		dst = append(dst, ' ')
		dst = append(dst, queue...)
	}
	dst = append(dst, ' ')
	dst = append(dst, sid...)
	return append(dst, crlf...)
}

// AppendUnsub appends UNSUB <sid> [max]; max is omitted when not positive.
func AppendUnsub(dst []byte, sid string, max int) []byte {
	dst = append(dst, "UNSUB "...)
	dst = append(dst, sid...)
	if max > 0 {
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(max), 10)
	}
	return append(dst, crlf...)
}

// AppendLMsg appends a message on a leaf connection: LMSG when hdrLen < 0,
// HMSG in the leaf layout (no sid) otherwise. Without queues the arguments
// are <subject> [reply]; with queues they are <subject> + <reply> <q1> ...
// when there is a reply, <subject> | <q1> ... when there is none. The sizes
// follow.
func AppendLMsg(dst, subject, reply []byte, queues [][]byte, hdrLen int, msg []byte) []byte {
	dst = appendLMsgHead(dst, subject, reply, len(queues) > 0, hdrLen)
	for _, q := range queues {
		dst = append(dst, ' ')
		dst = append(dst, q...)
	}
	return appendSizes(dst, hdrLen, msg)
}

// AppendLMsgGroups is AppendLMsg with the queue group names as strings, the
// way the subscription index holds them.
func AppendLMsgGroups(dst, subject, reply []byte, queues []string, hdrLen int, msg []byte) []byte {
	dst = appendLMsgHead(dst, subject, reply, len(queues) > 0, hdrLen)
	for _, q := range queues {
		dst = append(dst, ' ')
		dst = append(dst, q...)
	}
	return appendSizes(dst, hdrLen, msg)
}

// AppendLMsgString is AppendLMsg with every name as a string.
func AppendLMsgString(dst []byte, subject, reply string, queues []string, hdrLen int, msg []byte) []byte {
	dst = appendLMsgHead(dst, subject, reply, len(queues) > 0, hdrLen)
	for _, q := range queues {
		dst = append(dst, ' ')
		dst = append(dst, q...)
	}
	return appendSizes(dst, hdrLen, msg)
}

// appendLMsgHead appends the operation, the subject and the reply part.
func appendLMsgHead[S text](dst []byte, subject, reply S, queues bool, hdrLen int) []byte {
	if hdrLen >= 0 {
		dst = append(dst, "HMSG "...)
	} else {
		dst = append(dst, "LMSG "...)
	}
	dst = append(dst, subject...)
	switch {
	case queues && len(reply) > 0:
		dst = append(dst, " + "...)
		dst = append(dst, reply...)
	case queues:
		dst = append(dst, " |"...)
	case len(reply) > 0:
		dst = append(dst, ' ')
		dst = append(dst, reply...)
	}
	return dst
}

// appendSizes appends [ hdr] size CR LF msg CR LF.
func appendSizes(dst []byte, hdrLen int, msg []byte) []byte {
	return appendTail(dst, "", hdrLen, msg)
}

// AppendLSub appends LS+ <subject> for plain interest (queue empty), or
// LS+ <subject> <queue> <weight> with the weight clamped to 1..MaxSize.
func AppendLSub(dst, subject, queue []byte, weight int) []byte {
	return appendLSub(dst, subject, queue, weight)
}

// AppendLSubString is AppendLSub with string names.
func AppendLSubString(dst []byte, subject, queue string, weight int) []byte {
	return appendLSub(dst, subject, queue, weight)
}

func appendLSub[S text](dst []byte, subject, queue S, weight int) []byte {
	dst = append(dst, "LS+ "...)
	dst = append(dst, subject...)
	if len(queue) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, queue...)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, int64(min(max(weight, 1), MaxSize)), 10)
	}
	return append(dst, crlf...)
}

// AppendLUnsub appends LS- <subject> [queue]; queue is omitted when empty.
func AppendLUnsub(dst, subject, queue []byte) []byte {
	return appendLUnsub(dst, subject, queue)
}

// AppendLUnsubString is AppendLUnsub with string names.
func AppendLUnsubString(dst []byte, subject, queue string) []byte {
	return appendLUnsub(dst, subject, queue)
}

func appendLUnsub[S text](dst []byte, subject, queue S) []byte {
	dst = append(dst, "LS- "...)
	dst = append(dst, subject...)
	if len(queue) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, queue...)
	}
	return append(dst, crlf...)
}

// AppendErr appends -ERR '<text>'. Use the ErrText constants and formatters.
func AppendErr(dst []byte, text string) []byte {
	dst = append(dst, "-ERR '"...)
	dst = append(dst, text...)
	return append(dst, "'\r\n"...)
}

// AppendInfo appends INFO <json of v>. It allocates (encoding/json); INFO is
// not on the data path. Like nats-server, the JSON escapes <, > and &.
func AppendInfo(dst []byte, v any) ([]byte, error) {
	return appendJSONLine(dst, "INFO ", v)
}

// AppendConnect appends CONNECT <json of v>. It allocates, like AppendInfo.
func AppendConnect(dst []byte, v any) ([]byte, error) {
	return appendJSONLine(dst, "CONNECT ", v)
}

func appendJSONLine(dst []byte, op string, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, op...)
	dst = append(dst, body...)
	return append(dst, crlf...), nil
}
