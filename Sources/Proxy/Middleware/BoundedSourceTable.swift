// Per-source state with a ceiling: Traefik's rateLimit keeps its buckets in a TTL map of 65536 entries
// (pkg/middlewares/ratelimiter/ttlmap), where a source unused for `ttl` seconds is forgotten and a full
// map drops the entry that expires first. Every entry of one limiter has the same ttl, so "expires first"
// is "used least recently": this is an LRU list with the same expiry rule, O(1) per request, and a
// flood of distinct sources (spoofed X-Forwarded-For, many hosts) costs at most `capacity` entries.

/// Values keyed by source; entries live in one array linked most- to least-recently used.
struct BoundedSourceTable<Value> {
    private struct Entry {
        var key: String
        var value: Value
        /// Loop time in whole seconds when the entry stops counting (Traefik's expiry, Unix seconds there).
        var expiry: UInt64
        var newer: Int32
        var older: Int32
    }

    let capacity: Int
    /// Seconds an unused entry is kept.
    let ttl: UInt64
    private var entries: [Entry] = []
    private var index: [String: Int32] = [:]
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    /// Entries dropped because the table was full (expired ones do not count).
    private(set) var evictions: UInt64 = 0

    init(capacity: Int, ttl: UInt64) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.ttl = ttl
    }

    var count: Int { index.count }

    /// The value for `key` unless it expired (then it is forgotten); using it renews its expiry and makes it
    /// the most recent. `now` is in nanoseconds.
    mutating func value(for key: String, now: UInt64) -> Value? {
        guard let i = index[key] else { return nil }
        if entries[Int(i)].expiry <= now / 1_000_000_000 {
            return nil  // replaced in place by the caller's set()
        }
        touch(i, now: now)
        return entries[Int(i)].value
    }

    /// Stores `value` for `key` as the most recent entry; when the table is full a new key takes the slot of
    /// the least recently used one.
    mutating func set(_ key: String, _ value: Value, now: UInt64) {
        if let i = index[key] {
            entries[Int(i)].value = value
            touch(i, now: now)
            return
        }
        let expiry = now / 1_000_000_000 + ttl
        let slot: Int32
        if entries.count < capacity {
            slot = Int32(entries.count)
            entries.append(Entry(key: key, value: value, expiry: expiry, newer: -1, older: -1))
        } else {
            slot = oldest
            if entries[Int(slot)].expiry > now / 1_000_000_000 { evictions &+= 1 }
            unlink(slot)
            index[entries[Int(slot)].key] = nil
            entries[Int(slot)] = Entry(key: key, value: value, expiry: expiry, newer: -1, older: -1)
        }
        index[key] = slot
        linkAsNewest(slot)
    }

    private mutating func touch(_ i: Int32, now: UInt64) {
        entries[Int(i)].expiry = now / 1_000_000_000 + ttl
        guard newest != i else { return }
        unlink(i)
        linkAsNewest(i)
    }

    private mutating func unlink(_ i: Int32) {
        let e = entries[Int(i)]
        if e.newer >= 0 { entries[Int(e.newer)].older = e.older } else { newest = e.older }
        if e.older >= 0 { entries[Int(e.older)].newer = e.newer } else { oldest = e.newer }
        entries[Int(i)].newer = -1
        entries[Int(i)].older = -1
    }

    private mutating func linkAsNewest(_ i: Int32) {
        entries[Int(i)].older = newest
        entries[Int(i)].newer = -1
        if newest >= 0 { entries[Int(newest)].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
    }
}
