package protocol

// ServerInfo is the JSON body of INFO, as nats-server sends it to clients
// (spec 1.2) and on leaf connections (spec 2.2, 2.5). Field names and the
// omitempty choices follow nats-server, and so does the field order, so that
// encoded INFO lines read like nats-server's.
//
// A client INFO must not carry LeafNodeURLs or InfoOnConnect: a soliciting
// nats-server dialling a client port by mistake relies on their absence. A
// leaf INFO must carry a non-zero ClientID and should carry both.
type ServerInfo struct {
	ID           string `json:"server_id"`
	Name         string `json:"server_name"`
	Version      string `json:"version"`
	Proto        int    `json:"proto"`
	GitCommit    string `json:"git_commit,omitempty"`
	GoVersion    string `json:"go"`
	Host         string `json:"host"`
	Port         int    `json:"port"`
	Headers      bool   `json:"headers"`
	AuthRequired bool   `json:"auth_required,omitempty"`
	TLSRequired  bool   `json:"tls_required,omitempty"`
	TLSVerify    bool   `json:"tls_verify,omitempty"`
	TLSAvailable bool   `json:"tls_available,omitempty"`
	MaxPayload   int    `json:"max_payload"`
	JetStream    bool   `json:"jetstream,omitempty"`
	// IP is "host:port" of the leafnode listener (leaf INFO).
	IP       string `json:"ip,omitempty"`
	ClientID uint64 `json:"client_id,omitempty"`
	ClientIP string `json:"client_ip,omitempty"`
	// Nonce is 15 base64url characters; always present in a leaf INFO sent
	// before CONNECT.
	Nonce   string `json:"nonce,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	Domain  string `json:"domain,omitempty"`
	// ConnectURLs are other cluster members' client URLs.
	ConnectURLs   []string `json:"connect_urls,omitempty"`
	WSConnectURLs []string `json:"ws_connect_urls,omitempty"`
	LameDuckMode  bool     `json:"ldm,omitempty"`
	// Compression is the accept side's configured mode (leaf INFO).
	Compression string `json:"compression,omitempty"`
	// ConnectInfo marks the INFO that answers CONNECT.
	ConnectInfo bool `json:"connect_info,omitempty"`
	// RemoteAccount is the account the peer is bound to on our side.
	RemoteAccount   string `json:"remote_account,omitempty"`
	IsSystemAccount bool   `json:"acc_is_sys,omitempty"`
	JSAPILevel      int    `json:"api_lvl,omitempty"`
	// Import and Export are the bound user's subscribe and publish
	// permissions (leaf connect_info INFO).
	Import *SubjectPermission `json:"import,omitempty"`
	Export *SubjectPermission `json:"export,omitempty"`
	// InfoOnConnect promises a ConnectInfo INFO after CONNECT (leaf INFO).
	InfoOnConnect bool `json:"info_on_connect,omitempty"`
	// LeafNodeURLs are the leafnode URLs (host:port) a leaf may fail over to.
	LeafNodeURLs []string `json:"leafnode_urls,omitempty"`
	XKey         string   `json:"xkey,omitempty"`
}

// SubjectPermission is an allow and a deny list of subjects, as carried in
// INFO import/export.
type SubjectPermission struct {
	Allow []string `json:"allow,omitempty"`
	Deny  []string `json:"deny,omitempty"`
}
