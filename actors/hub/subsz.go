package hub

import (
	"fmt"
	"sort"
	"time"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol"
)

// accountNames returns the running accounts, sorted.
func (s *Server) accountNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.accounts))
	for n := range s.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sublistStats sums the index figures of the accounts named.
func (s *Server) sublistStats(names []string) *monitor.SublistStats {
	st := &monitor.SublistStats{}
	for _, n := range names {
		ref := s.accountRef(n)
		if ref == nil {
			continue
		}
		st.NumSubs += uint32(ref.Route.Snapshot().Count())
		st.NumMatches += ref.Route.Matches.Load()
		if as, err := s.AccountStats(n); err == nil {
			st.NumInserts += as.Inserts
			st.NumRemoves += as.Removes
		}
	}
	return st
}

func (s *Server) accountRef(name string) *conn.AccountRef {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.accounts[name]
}

// Subsz reports /subsz: the figures of every account's index, and with
// subs=1 the subscriptions themselves (paged, optionally filtered by
// account and by a literal subject they must match).
func (s *Server) Subsz(q monitor.SubszOptions) (*monitor.Subsz, error) {
	names := s.accountNames()
	if q.Account != "" {
		if s.accountRef(q.Account) == nil {
			return nil, fmt.Errorf("account %q not found", q.Account)
		}
		names = []string{q.Account}
	}
	if q.Test != "" && !protocol.ValidLiteralSubject(q.Test) {
		return nil, fmt.Errorf("invalid test subject %q", q.Test)
	}
	z := &monitor.Subsz{ID: s.id, Now: time.Now(), SublistStats: s.sublistStats(names)}
	limit := q.Limit
	if limit <= 0 {
		limit = monitor.DefaultConnzLimit
	}
	z.Limit = limit
	if !q.Subscriptions {
		return z, nil
	}
	o, _ := s.current()
	var all []monitor.SubDetail
	for _, n := range names {
		snap := s.accountRef(n).Route.Snapshot()
		tag := accountNameTag(o, n)
		snap.Each(func(subject, queue string, sub *route.Sub) bool {
			if q.Test != "" && !protocol.SubjectMatches(subject, q.Test) {
				return true
			}
			d := monitor.SubDetail{Account: n, AccountTag: tag, Subject: subject, Queue: queue, Sid: sub.SID, Cid: sub.EP.ID}
			d.Msgs, d.Max = sub.Deliveries()
			all = append(all, d)
			return true
		})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Cid != all[j].Cid {
			return all[i].Cid < all[j].Cid
		}
		return all[i].Subject < all[j].Subject
	})
	z.Total = len(all)
	off := min(max(q.Offset, 0), len(all))
	z.Offset = off
	z.Subs = all[off:min(off+limit, len(all))]
	return z, nil
}

// Accountz reports /accountz: the account names, or with acc= one account.
func (s *Server) Accountz(acc string) (*monitor.Accountz, error) {
	_, env := s.current()
	z := &monitor.Accountz{ID: s.id, Now: time.Now(), SystemAccount: env.SystemAccount}
	if acc == "" {
		z.Accounts = s.accountNames()
		return z, nil
	}
	if s.accountRef(acc) == nil {
		return nil, fmt.Errorf("account %q not found", acc)
	}
	st, err := s.AccountStats(acc)
	if err != nil {
		return nil, err
	}
	info := &monitor.AccountInfo{AccountName: acc, IsSystem: acc == env.SystemAccount, Complete: true,
		LeafCnt: st.Leafs, ClientCnt: st.Members - st.Leafs, SubCnt: uint32(st.Subscriptions),
		Sublist: s.sublistStats([]string{acc})}
	z.Account = info
	return z, nil
}
