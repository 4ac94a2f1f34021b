// The answer cache in front of the upstream servers (dnsmasq `cache-size`, `min-cache-ttl`,
// `max-cache-ttl`, `neg-ttl`). Keyed by (lowercase name, type, class, DO bit): answers for DO
// clients carry RRSIGs the others must not get, so the two never share an entry.
//
// Layout (why): entries live by value in one array; a hash index maps keys to array indices;
// an intrusive doubly-linked list through the entries' `newer`/`older` indices orders them by
// use, so lookup, insert, touch and evict are O(1) with no object per entry. Freed array slots
// are chained through `older` and reused. Expired entries are removed when looked up, or evicted
// like any other once they reach the old end of the list.
//
// Single-threaded (the reactor's thread): a class so the forwarder can hold it by `let`.

public final class DNSCache {
    /// Most entries kept; 0 disables the cache (store does nothing, lookup always misses).
    public let capacity: Int
    let policy: DNSCachePolicy

    private var entries: [DNSCacheEntry] = []
    private var index = DNSCacheIndex()
    /// Most and least recently used entries, and the first reusable slot; -1 = none.
    private var newest = DNSCacheEntry.none
    private var oldest = DNSCacheEntry.none
    private var vacant = DNSCacheEntry.none

    public private(set) var hits: UInt64 = 0
    public private(set) var misses: UInt64 = 0
    public private(set) var insertions: UInt64 = 0
    public private(set) var evictions: UInt64 = 0
    /// Entries held now (expired ones not yet removed included).
    public var count: Int { index.count }

    /// `capacity` is clamped to 0...2^30 (indices are 32-bit). TTL bounds as in DNSCachePolicy.
    public init(capacity: Int, minTTL: UInt32 = 0, maxTTL: UInt32? = nil, negativeTTL: UInt32? = nil) {
        self.capacity = min(max(capacity, 0), 1 << 30)
        policy = DNSCachePolicy(minTTL: minTTL, maxTTL: maxTTL, negativeTTL: negativeTTL)
    }

    /// Caches `answer`, the upstream's answer to `question` asked with `dnssecOK`, at monotonic
    /// second `now` — if DNSCachePolicy says it is cacheable. Replaces an entry with the same key.
    /// When full, the least recently used entry is evicted.
    public func store(_ answer: DNSUpstreamAnswer, question: DNSQuestion, dnssecOK: Bool, now: UInt64) {
        guard capacity > 0, let prepared = policy.prepare(answer, question: question) else { return }
        let hash = DNSCacheEntry.hash(question, dnssecOK: dnssecOK)
        let entry = DNSCacheEntry(storage: prepared.storage, storedAt: now, expiresAt: now + UInt64(prepared.lifetime),
                                  hash: hash, newer: DNSCacheEntry.none, older: DNSCacheEntry.none,
                                  messageLength: UInt16(truncatingIfNeeded: prepared.messageLength),
                                  dnssecOK: dnssecOK)
        insertions &+= 1
        if let existing = find(question, dnssecOK: dnssecOK, hash: hash) {
            unlink(existing)
            entries[Int(existing)] = entry
            linkNewest(existing)
            return
        }
        if count >= capacity, oldest != DNSCacheEntry.none {
            evictions &+= 1
            remove(oldest)
        }
        let slot: Int32
        if vacant != DNSCacheEntry.none {
            slot = vacant
            vacant = entries[Int(slot)].older
            entries[Int(slot)] = entry
        } else {
            slot = Int32(entries.count)
            entries.append(entry)
        }
        linkNewest(slot)
        index.insert(slot, hash: hash)
    }

    /// The cached answer for `question` with this DO bit at monotonic second `now`, marked as most
    /// recently used; nil on a miss. An expired entry is removed and counts as a miss.
    public func lookup(_ question: DNSQuestion, dnssecOK: Bool, now: UInt64) -> CachedResponse? {
        guard capacity > 0,
              let slot = find(question, dnssecOK: dnssecOK, hash: DNSCacheEntry.hash(question, dnssecOK: dnssecOK))
        else {
            misses &+= 1
            return nil
        }
        let entry = entries[Int(slot)]
        guard now < entry.expiresAt else {
            remove(slot)
            misses &+= 1
            return nil
        }
        hits &+= 1
        if newest != slot {
            unlink(slot)
            linkNewest(slot)
        }
        return CachedResponse(storage: entry.storage, messageLength: Int(entry.messageLength),
                              storedAt: entry.storedAt, expiresAt: entry.expiresAt)
    }

    /// Drops every entry and returns their memory (SIGHUP, `clear-on-reload`). Counters are kept.
    public func flush() {
        entries = []
        index = DNSCacheIndex()
        newest = DNSCacheEntry.none
        oldest = DNSCacheEntry.none
        vacant = DNSCacheEntry.none
    }

    /// Keys from least to most recently used, as (question, DO bit); for tests and diagnostics.
    func keysByAge() -> [(question: DNSQuestion, dnssecOK: Bool)] {
        var out: [(question: DNSQuestion, dnssecOK: Bool)] = []
        var slot = oldest
        while slot != DNSCacheEntry.none {
            let entry = entries[Int(slot)]
            let bytes = Array(entry.storage[0..<Int(entry.messageLength)])
            if let parsed = try? DNSQuestion.parse(bytes, at: DNSHeader.size) {
                out.append((parsed.question, entry.dnssecOK))
            }
            slot = entry.newer
        }
        return out
    }

    /// Heap bytes held, estimated: the entry array, the index, and each entry's buffer with the
    /// array header (32 bytes) and malloc's per-chunk overhead (16 bytes). For tests and stats.
    var estimatedMemory: Int {
        var total = entries.capacity * MemoryLayout<DNSCacheEntry>.stride + index.memory
        for entry in entries where entry.storage.capacity > 0 { total += entry.storage.capacity + 48 }
        return total
    }

    private func find(_ question: DNSQuestion, dnssecOK: Bool, hash: UInt32) -> Int32? {
        index.find(hash: hash) { entries[Int($0)].holds(question, dnssecOK: dnssecOK) }
    }

    /// Takes `slot` out of the list and the index, frees its bytes and puts it on the vacant chain.
    private func remove(_ slot: Int32) {
        unlink(slot)
        index.remove(slot, hash: entries[Int(slot)].hash)
        entries[Int(slot)] = DNSCacheEntry.vacant
        entries[Int(slot)].older = vacant
        vacant = slot
    }

    private func unlink(_ slot: Int32) {
        let newer = entries[Int(slot)].newer
        let older = entries[Int(slot)].older
        if newer != DNSCacheEntry.none { entries[Int(newer)].older = older } else { newest = older }
        if older != DNSCacheEntry.none { entries[Int(older)].newer = newer } else { oldest = newer }
        entries[Int(slot)].newer = DNSCacheEntry.none
        entries[Int(slot)].older = DNSCacheEntry.none
    }

    private func linkNewest(_ slot: Int32) {
        entries[Int(slot)].newer = DNSCacheEntry.none
        entries[Int(slot)].older = newest
        if newest != DNSCacheEntry.none { entries[Int(newest)].newer = slot } else { oldest = slot }
        newest = slot
    }
}
