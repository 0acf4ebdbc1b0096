package protocol

// ConnectInfo is the JSON body of CONNECT: the client fields (spec 1.3) and
// the leaf fields (spec 2.3) in one struct, as the accept side of a leaf
// connection decodes the same JSON for both.
//
// Decode into a zero value: absent fields are false or empty, which is what
// nats-server assumes (verbose, pedantic and echo default to true only until
// a CONNECT arrives). Every field is omitempty, so that an encoded leaf
// CONNECT carries no client field; for the client fields that nats.go always
// sends, an omitted false means the same to a server.
type ConnectInfo struct {
	// Client only.
	Verbose     bool `json:"verbose,omitempty"`
	Pedantic    bool `json:"pedantic,omitempty"`
	TLSRequired bool `json:"tls_required,omitempty"`

	Version string `json:"version,omitempty"`

	// Credentials.
	Nkey  string `json:"nkey,omitempty"`
	JWT   string `json:"jwt,omitempty"`
	Sig   string `json:"sig,omitempty"`
	User  string `json:"user,omitempty"`
	Pass  string `json:"pass,omitempty"`
	Token string `json:"auth_token,omitempty"`

	// Leaf: the sender's server id.
	ServerID string `json:"server_id,omitempty"`
	// Leaf: the sender's JetStream domain.
	Domain string `json:"domain,omitempty"`
	// The client name, or the sending server's name on a leaf.
	Name string `json:"name,omitempty"`
	// Client only; a CONNECT with a lang on the leafnode port is a client
	// at the wrong port.
	Lang string `json:"lang,omitempty"`
	// Leaf: the remote has hub: true.
	IsHub bool `json:"is_hub,omitempty"`
	// Leaf: the sender's cluster name.
	Cluster      string `json:"cluster,omitempty"`
	Headers      bool   `json:"headers,omitempty"`
	NoResponders bool   `json:"no_responders,omitempty"` // client only
	Echo         bool   `json:"echo,omitempty"`          // client only
	// Leaf: the local account has JetStream.
	JetStream bool `json:"jetstream,omitempty"`
	// Leaf: the remote's deny_imports, subjects the hub must not send.
	DenyPub []string `json:"deny_pub,omitempty"`
	// Leaf: request_isolation.
	Isolate bool `json:"isolate,omitempty"`
	// Leaf: the compression mode the sender settled on, or "not supported".
	Compression string `json:"compress_mode,omitempty"`
	// Sent only by a gateway dialling a leafnode port by mistake.
	Gateway string `json:"gateway,omitempty"`
	// Leaf: the sender's local account bound to this connection.
	RemoteAccount string `json:"remote_account,omitempty"`
	// Client only; refused by the server (authorization violation).
	Account    string `json:"account,omitempty"`
	NewAccount bool   `json:"new_account,omitempty"`
	// Protocol is 1 for current clients, 3 on leafs that understand
	// message tracing.
	Protocol int `json:"protocol,omitempty"`
}
