package protocol

// Handler receives the operations a [Parser] reads, in stream order, from
// within [Parser.Parse].
//
// Every []byte argument aliases the buffer passed to Parse or the parser's
// internal buffers and is valid only until the method returns: copy what you
// keep. A non-nil error stops parsing; Parse returns it unchanged, and the
// parser is unusable afterwards.
//
// Which methods a mode calls: ClientMode: Connect, Pub, Sub, Unsub, Ping,
// Pong. LeafMode: Info, Connect, LSub, LUnsub, LMsg, Ping, Pong, Err.
// ServerMode: Info, Msg, Ping, Pong, OK, Err.
type Handler interface {
	// Connect receives the JSON after "CONNECT ", trailing blanks removed.
	Connect(arg []byte) error
	// Info receives the JSON after "INFO ", trailing blanks removed.
	Info(arg []byte) error
	// Pub receives PUB (hdrLen -1) and HPUB (hdrLen >= 0, the header size).
	// reply is nil when absent. msg is the headers followed by the payload,
	// without the trailing CR LF; len(msg) is the declared (total) size.
	Pub(subject, reply []byte, hdrLen int, msg []byte) error
	// Sub receives SUB; queue is nil when absent.
	Sub(subject, queue, sid []byte) error
	// Unsub receives UNSUB; max is 0 when absent or not a valid size.
	Unsub(sid []byte, max int) error
	// Msg receives MSG (hdrLen -1) and HMSG with a sid (hdrLen >= 0), as a
	// server sends them to a client.
	Msg(subject, sid, reply []byte, hdrLen int, msg []byte) error
	// LSub receives LS+. queue is nil for plain interest, whose weight is 1;
	// a queue weight that does not parse or is below 1 is reported as 1.
	LSub(subject, queue []byte, weight int) error
	// LUnsub receives LS-; queue is nil when absent.
	LUnsub(subject, queue []byte) error
	// LMsg receives LMSG (hdrLen -1) and HMSG in the leaf layout (hdrLen >=
	// 0). reply is nil when absent; queues lists the queue groups named with
	// the + or | forms, nil or empty otherwise. The queues slice itself is
	// reused by the parser.
	LMsg(subject, reply []byte, queues [][]byte, hdrLen int, msg []byte) error
	// Ping receives PING.
	Ping() error
	// Pong receives PONG.
	Pong() error
	// OK receives +OK (ServerMode only; LeafMode ignores +OK).
	OK() error
	// Err receives the text of -ERR, without the surrounding single quotes.
	Err(text []byte) error
}

// NopHandler implements [Handler] with methods that do nothing and return
// nil. Embed it to implement only the methods a mode calls.
type NopHandler struct{}

var _ Handler = NopHandler{}

func (NopHandler) Connect([]byte) error                                { return nil }
func (NopHandler) Info([]byte) error                                   { return nil }
func (NopHandler) Pub(_, _ []byte, _ int, _ []byte) error              { return nil }
func (NopHandler) Sub(_, _, _ []byte) error                            { return nil }
func (NopHandler) Unsub([]byte, int) error                             { return nil }
func (NopHandler) Msg(_, _, _ []byte, _ int, _ []byte) error           { return nil }
func (NopHandler) LSub(_, _ []byte, _ int) error                       { return nil }
func (NopHandler) LUnsub(_, _ []byte) error                            { return nil }
func (NopHandler) LMsg(_, _ []byte, _ [][]byte, _ int, _ []byte) error { return nil }
func (NopHandler) Ping() error                                         { return nil }
func (NopHandler) Pong() error                                         { return nil }
func (NopHandler) OK() error                                           { return nil }
func (NopHandler) Err([]byte) error                                    { return nil }
