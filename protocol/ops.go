package protocol

// opKind is an operation the parser recognises.
type opKind uint8

const (
	opNone opKind = iota
	opConnect
	opInfo
	opPub     // PUB, client
	opHPub    // HPUB, client
	opSub     // SUB, client
	opUnsub   // UNSUB, client
	opMsg     // MSG, from a server
	opHMsg    // HMSG with a sid, from a server
	opLSub    // LS+, leaf
	opLUnsub  // LS-, leaf
	opLMsg    // LMSG, leaf
	opLHMsg   // HMSG without a sid, leaf
	opPing    // PING
	opPong    // PONG
	opOK      // +OK
	opErr     // -ERR
	opIgnored // +OK on a leaf connection: read and dropped
)

var opNames = [...]string{
	opNone:    "",
	opConnect: "CONNECT",
	opInfo:    "INFO",
	opPub:     "PUB",
	opHPub:    "HPUB",
	opSub:     "SUB",
	opUnsub:   "UNSUB",
	opMsg:     "MSG",
	opHMsg:    "HMSG",
	opLSub:    "LS+",
	opLUnsub:  "LS-",
	opLMsg:    "LMSG",
	opLHMsg:   "HMSG",
	opPing:    "PING",
	opPong:    "PONG",
	opOK:      "+OK",
	opErr:     "-ERR",
	opIgnored: "+OK",
}

func (o opKind) String() string { return opNames[o] }

// stateAfterName is where the parser goes once the operation's name is read:
//   - stateNeedBlank: one or more spaces or tabs, then the arguments (PUB,
//     SUB, LS+, LMSG, -ERR, ...). Anything else is an unknown operation.
//   - stateBlanks: optional blanks, then the argument (CONNECT, INFO; as in
//     nats-server, CONNECT{...} is accepted).
//   - stateIgnoreLine: everything up to the line feed is ignored (PING,
//     PONG, +OK).
func (o opKind) stateAfterName() parseState {
	switch o {
	case opConnect, opInfo:
		return stateBlanks
	case opPing, opPong, opOK, opIgnored:
		return stateIgnoreLine
	}
	return stateNeedBlank
}

// carriesPayload reports whether a payload follows the control line.
func (o opKind) carriesPayload() bool {
	switch o {
	case opPub, opHPub, opMsg, opHMsg, opLMsg, opLHMsg:
		return true
	}
	return false
}

// Operation names accepted in each mode.
var modeOps = [...]map[string]opKind{
	ClientMode: {
		"CONNECT": opConnect,
		"PUB":     opPub,
		"HPUB":    opHPub,
		"SUB":     opSub,
		"UNSUB":   opUnsub,
		"PING":    opPing,
		"PONG":    opPong,
		// As nats-server: INFO and +OK from a client are read and dropped,
		// -ERR is handed up (the server closes the connection quietly).
		"INFO": opInfo,
		"+OK":  opIgnored,
		"-ERR": opErr,
	},
	LeafMode: {
		"INFO":    opInfo,
		"CONNECT": opConnect,
		"LS+":     opLSub,
		"LS-":     opLUnsub,
		"LMSG":    opLMsg,
		"HMSG":    opLHMsg,
		"PING":    opPing,
		"PONG":    opPong,
		"-ERR":    opErr,
		"+OK":     opIgnored,
	},
	ServerMode: {
		"INFO": opInfo,
		"MSG":  opMsg,
		"HMSG": opHMsg,
		"PING": opPing,
		"PONG": opPong,
		"+OK":  opOK,
		"-ERR": opErr,
	},
}

// nameTable is a DFA over operation names, case-insensitive. State 0 is the
// dead state (no operation starts with the bytes read), state 1 the start.
// A transition into a state that completes a name has nameDone set; the
// state's operation is then op[state &^ nameDone].
type nameTable struct {
	next [][256]uint8
	op   []opKind
}

const (
	nameDead  = 0
	nameStart = 1
	nameDone  = 0x80
)

var nameTables = [...]*nameTable{
	ClientMode: newNameTable(modeOps[ClientMode]),
	LeafMode:   newNameTable(modeOps[LeafMode]),
	ServerMode: newNameTable(modeOps[ServerMode]),
}

// newNameTable builds the DFA for a set of names. No name may be a prefix of
// another: the parser commits to an operation as soon as its name is read.
func newNameTable(names map[string]opKind) *nameTable {
	t := &nameTable{next: make([][256]uint8, 2), op: make([]opKind, 2)}
	for name, op := range names {
		state := uint8(nameStart)
		for i := 0; i < len(name); i++ {
			if t.op[state] != opNone {
				panic("protocol: operation name " + name + " extends another")
			}
			c := name[i]
			next := t.next[state][c]
			if next == nameDead {
				if len(t.next) == nameDone {
					panic("protocol: too many operation name states")
				}
				t.next = append(t.next, [256]uint8{})
				t.op = append(t.op, opNone)
				next = uint8(len(t.next) - 1)
				t.next[state][c] = next
				if 'A' <= c && c <= 'Z' {
					t.next[state][c+'a'-'A'] = next
				}
			}
			state = next
		}
		if t.op[state] != opNone || t.next[state] != ([256]uint8{}) {
			panic("protocol: operation name " + name + " is a prefix of another")
		}
		t.op[state] = op
	}
	// Flag the transitions that complete a name.
	for s := range t.next {
		for c, next := range t.next[s] {
			if next != nameDead && t.op[next] != opNone {
				t.next[s][c] = next | nameDone
			}
		}
	}
	return t
}
