package protocol

import (
	"strconv"
	"strings"
)

// The -ERR texts leafhub sends, each spelled once, as nats-server v2.15.2
// puts them on the wire (spec sections 1.8 and 5.1). They go between the
// single quotes of an -ERR line; see [AppendErr]. The comment after each says
// whether the sender closes the connection after writing it.
//
// nats.go closes the connection on any text it does not recognise, so no
// other text may be sent to clients.
const (
	// Parser and framing.
	ErrTextUnknownOp      = "Unknown Protocol Operation"    // close
	ErrTextMaxControlLine = "maximum control line exceeded" // close
	ErrTextMaxPayload     = "Maximum Payload Violation"     // close

	// Authentication.
	ErrTextAuthViolation      = "Authorization Violation"          // close
	ErrTextAuthTimeout        = "Authentication Timeout"           // close
	ErrTextUserAuthExpired    = "User Authentication Expired"      // close
	ErrTextAccountAuthExpired = "Account Authentication Expired"   // close
	ErrTextTLSRequired        = "Secure Connection - TLS Required" // close

	// Connection limits and liveness.
	ErrTextMaxConnections        = "maximum connections exceeded"                // close
	ErrTextMaxAccountConnections = "maximum account active connections exceeded" // close
	ErrTextMaxSubscriptions      = "maximum subscriptions exceeded"              // stays open
	ErrTextStale                 = "Stale Connection"                            // close

	// Client CONNECT.
	ErrTextInvalidClientProtocol   = "invalid client protocol"                // close
	ErrTextNoRespondersNeedHeaders = "no responders requires headers support" // close
	ErrTextLeafPortClient          = "attempted to connect to leaf node port" // close

	// Subjects.
	ErrTextInvalidSubject        = "Invalid Subject"         // SUB; stays open
	ErrTextInvalidPublishSubject = "Invalid Publish Subject" // pedantic PUB; stays open
	ErrTextInvalidSubscription   = "Invalid Subscription"    // LS+; stays open

	// Leaf CONNECT and INFO.
	ErrTextClusterNameSpaces   = "cluster name cannot contain spaces"                    // close
	ErrTextClusterNameReserved = "cluster name is reserved"                              // close
	ErrTextSameClusterName     = "remote leafnode has same cluster name"                 // close; the soliciting peer waits 30 s
	ErrTextDuplicateLeaf       = "Duplicate Remote LeafNode Connection"                  // close (the older connection)
	ErrTextStaleLeafConnect    = "Stale Leaf Node Connection - Closing"                  // close (no connect_info INFO in time)
	ErrTextMinVersionRejected  = "connection rejected since minimum version required is" // prefix of MinVersionText; close; the peer waits 5 s
	ErrTextLoopDetected        = "Loop detected"                                         // prefix of LoopDetectedText; close; the soliciting peer waits 30 s
)

// The fixed parts of the texts built by the formatters below.
const (
	permPubPrefix      = "Permissions Violation for Publish to "
	permSubPrefix      = "Permissions Violation for Subscription to "
	permSubQueueInfix  = " using queue "
	permReplyPrefix    = "Permissions Violation for Publish with Reply of "
	loopDetectedPrefix = ErrTextLoopDetected + " for leafnode account="
	loopDetectedSuffix = ". Delaying attempt to reconnect for 30s"
	gatewayPrefix      = "Rejecting connection from gateway "
	gatewaySuffix      = " on the leafnode port"
	compressionPrefix  = "unsupported route compression mode "
)

// Names are quoted as nats-server's %q verb quotes them: double quotes, Go
// escapes for quotes, backslashes and non-printable bytes.

// PermPubText is the text for a publish the connection may not make:
// Permissions Violation for Publish to "<subject>". Clients stay connected;
// on a leaf connection the sender closes.
func PermPubText(subject string) string {
	return permPubPrefix + strconv.Quote(subject)
}

// PermSubText is the text for a subscription the connection may not make:
// Permissions Violation for Subscription to "<subject>", followed by
// using queue "<queue>" when queue is not empty.
func PermSubText(subject, queue string) string {
	s := permSubPrefix + strconv.Quote(subject)
	if queue != "" {
		s += permSubQueueInfix + strconv.Quote(queue)
	}
	return s
}

// PermSubRemovedText is the text sent when a reload took away the permission
// of an existing subscription, which is removed: PermSubText followed by
// (sid "<sid>").
func PermSubRemovedText(subject, queue, sid string) string {
	return PermSubText(subject, queue) + " (sid " + strconv.Quote(sid) + ")"
}

// PermReplyText is the text for a publish whose reply subject is not allowed:
// Permissions Violation for Publish with Reply of "<reply>". The connection
// stays open.
func PermReplyText(reply string) string {
	return permReplyPrefix + strconv.Quote(reply)
}

// LoopDetectedText is the text sent when a leaf connection brings back our
// own $LDS. subject: Loop detected for leafnode account="<account>". Delaying
// attempt to reconnect for 30s. The sender closes; a soliciting receiver
// waits 30 s before dialling again.
func LoopDetectedText(account string) string {
	return loopDetectedPrefix + strconv.Quote(account) + loopDetectedSuffix
}

// MinVersionText is the text that rejects a leaf whose CONNECT version is
// below min: connection rejected since minimum version required is "<min>".
func MinVersionText(min string) string {
	return ErrTextMinVersionRejected + " " + strconv.Quote(min)
}

// GatewayRejectedText is the text that rejects a gateway dialling the
// leafnode port: Rejecting connection from gateway "<gateway>" on the
// leafnode port.
func GatewayRejectedText(gateway string) string {
	return gatewayPrefix + strconv.Quote(gateway) + gatewaySuffix
}

// UnsupportedCompressionText is the text sent for a compression mode the
// peer cannot parse: unsupported route compression mode "<mode>".
func UnsupportedCompressionText(mode string) string {
	return compressionPrefix + strconv.Quote(mode)
}

// LeafErrReaction is what a soliciting leaf does on receiving an -ERR text
// (spec 2.10): most texts mean an ordinary reconnect, three add a delay.
type LeafErrReaction uint8

const (
	// ReactNone: log it; the peer is expected to close.
	ReactNone LeafErrReaction = iota
	// ReactLoop: the text contains "Loop detected": close at once and wait
	// 30 s before dialling again.
	ReactLoop
	// ReactSameCluster: the text contains "remote leafnode has same cluster
	// name": wait 30 s before dialling again.
	ReactSameCluster
	// ReactMinVersion: the text contains "connection rejected since minimum
	// version required is": wait 5 s before dialling again.
	ReactMinVersion
)

// String returns the reaction's name.
func (r LeafErrReaction) String() string {
	switch r {
	case ReactNone:
		return "none"
	case ReactLoop:
		return "loop"
	case ReactSameCluster:
		return "same-cluster"
	case ReactMinVersion:
		return "min-version"
	}
	return "LeafErrReaction(" + strconv.Itoa(int(r)) + ")"
}

// LeafErrReactionOf classifies an -ERR text received on a leaf connection by
// the substrings nats-server looks for.
func LeafErrReactionOf(text string) LeafErrReaction {
	switch {
	case strings.Contains(text, ErrTextSameClusterName):
		return ReactSameCluster
	case strings.Contains(text, ErrTextMinVersionRejected):
		return ReactMinVersion
	case strings.Contains(text, ErrTextLoopDetected):
		return ReactLoop
	}
	return ReactNone
}
