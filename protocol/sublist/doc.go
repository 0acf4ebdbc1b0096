// Package sublist is the subscription index: subjects with literal tokens,
// `*` and `>` wildcards, and queue groups, matched against literal subjects.
//
// The index is split in two halves:
//
//   - A Builder is the single writer. It is owned by one goroutine (in leafhub,
//     an account actor) and applies Insert and Remove.
//   - A Snapshot is an immutable view produced by Builder.Snapshot. Any number
//     of goroutines may Match against it concurrently without locks.
//
// The Builder shares structure with the snapshots it produced: a node is copied
// the first time a batch touches it after a snapshot was taken (copy on write),
// and mutated in place for the rest of that batch. A batch of N changes thus
// costs O(N · depth) node copies at most, and nodes no change touched are shared.
//
// # Concurrency
//
// Builder: one goroutine. Snapshot: immutable, safe for concurrent use. The
// Result slices returned by Match may alias snapshot memory and must not be
// modified.
package sublist
