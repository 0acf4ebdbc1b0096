// Package route is leafhub's data path: what happens to one message between
// the reader goroutine that parsed it and the outbound queues of the
// connections that must receive it. No actor and no mailbox is involved.
//
//   - Account is the handle of one account: its current routing snapshot (an
//     immutable sublist.Snapshot of *Sub) behind an atomic pointer. Only the
//     account actor stores into it; readers load it without locks.
//   - Endpoint is one connection as the data path sees it: its Outbound queue,
//     the flags that change delivery (echo, headers) and its counters.
//   - Sub is one subscription. Its delivery count and closed flag are guarded
//     by the mutex of its endpoint's Outbound, so UNSUB with a maximum delivers
//     exactly that many messages however many publishers race.
//   - Publisher is per reader goroutine: it matches subjects against the
//     snapshot (with a cache keyed by the snapshot generation), appends the
//     encoded message to each destination's Outbound and, once per read
//     buffer, wakes the writers it touched (Flush).
//   - Outbound is a connection's byte queue; its writer goroutine (WriteLoop)
//     drains it with one write syscall per batch.
//
// # Concurrency
//
// Account.snap: written by the account actor, read by any reader.
// Outbound: any goroutine appends under its mutex; only its WriteLoop drains.
// Publisher: owned by one reader goroutine.
// Endpoint counters: atomics; flags: atomics written by the connection actor.
package route
