package protocol

import "strconv"

// noRespondersHeader is the header block of a no-responders status message
// up to the subject it names.
const noRespondersHeader = "NATS/1.0 503\r\nNats-Subject: "

// AppendNoResponders appends the status message a server sends a requester
// whose request reached no subscriber: a header-only HMSG with status 503 on
// the requester's reply subscription sid, naming the request subject.
func AppendNoResponders(dst, reply []byte, sid string, subject []byte) []byte {
	n := len(noRespondersHeader) + len(subject) + 4
	dst = append(dst, "HMSG "...)
	dst = append(dst, reply...)
	dst = append(dst, ' ')
	dst = append(dst, sid...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, noRespondersHeader...)
	dst = append(dst, subject...)
	dst = append(dst, "\r\n\r\n\r\n"...)
	return dst
}
