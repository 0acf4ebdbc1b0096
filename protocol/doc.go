// Package protocol is the NATS wire format as leafhub speaks it: the client
// protocol (CONNECT, PUB, HPUB, SUB, UNSUB, MSG, HMSG, PING, PONG, +OK, -ERR)
// and the leafnode protocol (INFO, CONNECT, LS+, LS-, LMSG, HMSG).
//
// It knows bytes, not connections. There is no I/O here, no clock, no
// goroutine and no logging; callers feed bytes in and get callbacks out, or
// append encoded operations to their own buffers.
//
//   - [Parser] is a state machine that accepts the input stream split at any
//     byte across calls to [Parser.Parse] and reports each complete operation
//     to a [Handler]. Messages that arrive whole in one buffer are delivered
//     without copying and without allocating.
//   - The Append functions ([AppendMsg], [AppendLMsg], [AppendLSub], ...)
//     encode operations into a caller's []byte without allocating.
//   - [ServerInfo] and [ConnectInfo] are the JSON bodies of INFO and CONNECT,
//     with nats-server's field names.
//   - The ErrText constants and formatters are every -ERR text leafhub sends,
//     each spelled once; [ErrText] maps a parser error to the text to send.
//   - [ValidSubject], [SubjectMatches], [SubjectIsSubset] and
//     [SubjectsCollide] implement the subject rules (tokens, `*`, `>`).
//   - [NegotiateCompression] and [AutoLevel] settle a leaf link's S2 level.
//   - WebSocket: [AcceptWS] and [CheckWSResponse] run the two sides of the
//     HTTP upgrade (the caller parses the HTTP), [WSReader] turns frames
//     into the byte stream the Parser reads, [WSWriter] frames outgoing
//     batches.
//
// Every error a Parser returns means the connection must be closed; [ErrText]
// tells whether an -ERR line goes out first.
//
// # Concurrency
//
// A Parser is owned by one goroutine (the connection's reader) and must not be
// used concurrently; its Handler is called synchronously from Parse on that
// goroutine, and the slices it receives are valid only during the call.
// Everything else in the package is either a pure function or a plain value
// type, safe to use from any goroutine.
package protocol
