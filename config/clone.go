package config

import "net/url"

// Clone returns a deep copy of the options (users, accounts, permissions,
// leafnode settings and remotes are copied, not shared).
func (o *Options) Clone() *Options {
	if o == nil {
		return nil
	}
	c := *o
	c.Users = nil
	for _, u := range o.Users {
		c.Users = append(c.Users, u.clone())
	}
	c.Accounts = nil
	for _, a := range o.Accounts {
		ca := *a
		ca.DefaultPermissions = a.DefaultPermissions.clone()
		c.Accounts = append(c.Accounts, &ca)
	}
	c.DefaultPermissions = o.DefaultPermissions.clone()
	c.Warnings = cloneStrings(o.Warnings)
	c.LeafNode = o.LeafNode.clone()
	c.Websocket.TLS = o.Websocket.TLS.clone()
	c.Websocket.AllowedOrigins = cloneStrings(o.Websocket.AllowedOrigins)
	if o.Websocket.Headers != nil {
		c.Websocket.Headers = make(map[string]string, len(o.Websocket.Headers))
		for k, v := range o.Websocket.Headers {
			c.Websocket.Headers[k] = v
		}
	}
	// positions and the decoded JWT claims (Operators, ResolverPreload,
	// Account.Claims) are never modified after Load, so they are shared.
	return &c
}

func (u *User) clone() *User {
	c := *u
	c.Permissions = u.Permissions.clone()
	if u.AllowedConnectionTypes != nil {
		c.AllowedConnectionTypes = make(map[string]bool, len(u.AllowedConnectionTypes))
		for k, v := range u.AllowedConnectionTypes {
			c.AllowedConnectionTypes[k] = v
		}
	}
	return &c
}

func (p *Permissions) clone() *Permissions {
	if p == nil {
		return nil
	}
	c := &Permissions{
		Publish:   p.Publish.clone(),
		Subscribe: p.Subscribe.clone(),
	}
	if p.Response != nil {
		r := *p.Response
		c.Response = &r
	}
	return c
}

func (sp *SubjectPermission) clone() *SubjectPermission {
	if sp == nil {
		return nil
	}
	return &SubjectPermission{Allow: cloneStrings(sp.Allow), Deny: cloneStrings(sp.Deny)}
}

func (ln LeafNodeOpts) clone() LeafNodeOpts {
	c := ln
	c.Users = nil
	for _, u := range ln.Users {
		cu := *u
		c.Users = append(c.Users, &cu)
	}
	c.TLS = ln.TLS.clone()
	c.Compression = ln.Compression.clone()
	c.Remotes = nil
	for _, r := range ln.Remotes {
		c.Remotes = append(c.Remotes, r.clone())
	}
	return c
}

func (r *RemoteLeafOpts) clone() *RemoteLeafOpts {
	c := *r
	c.URLs = nil
	for _, u := range r.URLs {
		c.URLs = append(c.URLs, cloneURL(u))
	}
	c.TLS = r.TLS.clone()
	c.DenyImports = cloneStrings(r.DenyImports)
	c.DenyExports = cloneStrings(r.DenyExports)
	c.Compression = r.Compression.clone()
	if r.Proxy != nil {
		p := *r.Proxy
		p.TLS = r.Proxy.TLS.clone()
		c.Proxy = &p
	}
	return &c
}

func (c CompressionOpts) clone() CompressionOpts {
	if c.RTTThresholds != nil {
		c.RTTThresholds = append(c.RTTThresholds[:0:0], c.RTTThresholds...)
	}
	return c
}

func (t *TLSOpts) clone() *TLSOpts {
	if t == nil {
		return nil
	}
	c := *t
	if t.Certificates != nil {
		c.Certificates = append(t.Certificates[:0:0], t.Certificates...)
	}
	if t.CipherSuites != nil {
		c.CipherSuites = append(t.CipherSuites[:0:0], t.CipherSuites...)
	}
	if t.CurvePreferences != nil {
		c.CurvePreferences = append(t.CurvePreferences[:0:0], t.CurvePreferences...)
	}
	c.PinnedCerts = cloneStrings(t.PinnedCerts)
	return &c
}

func cloneURL(u *url.URL) *url.URL {
	c := *u
	if u.User != nil {
		ui := *u.User
		c.User = &ui
	}
	return &c
}

// cloneStrings copies a slice, keeping nil and empty apart (an empty allow
// list means "nothing allowed").
func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}
