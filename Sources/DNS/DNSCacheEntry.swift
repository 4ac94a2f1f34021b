// One cached response, stored by value in DNSCache's entry array: no object per entry, one
// heap buffer (the message and its TTL offset table) and 40 bytes of bookkeeping. The key is
// not stored separately: it is the (lowercased) question inside the stored message plus the
// DO bit, which keeps a 10,000-entry cache of A answers around 2 MB.

struct DNSCacheEntry {
    /// Message bytes (no OPT, lowercase question, clamped TTLs), then 2-byte TTL offsets.
    var storage: [UInt8]
    /// Monotonic seconds when stored; TTLs count down from here.
    var storedAt: UInt64
    /// Monotonic second from which the entry is no longer served.
    var expiresAt: UInt64
    /// The key's hash (question + DO), kept to find the index slot without rehashing.
    var hash: UInt32
    /// LRU neighbours (towards most / least recently used), or the free-list link; -1 = none.
    var newer: Int32
    var older: Int32
    var messageLength: UInt16
    var dnssecOK: Bool

    static let none: Int32 = -1

    /// An unused slot (on the free list).
    static let vacant = DNSCacheEntry(storage: [], storedAt: 0, expiresAt: 0, hash: 0, newer: none, older: none,
                                      messageLength: 0, dnssecOK: false)

    /// True when this entry is the answer for `question` with this DO bit. Compares the stored
    /// question bytes (lowercase name, type, class) with the question's lowercase wire name.
    func holds(_ question: DNSQuestion, dnssecOK: Bool) -> Bool {
        guard self.dnssecOK == dnssecOK else { return false }
        let name = question.name.wire
        let start = DNSHeader.size
        let typeAt = start + name.count
        guard typeAt + 4 <= Int(messageLength) else { return false }
        guard storage[start..<typeAt].elementsEqual(name) else { return false }
        return storage[typeAt] == UInt8(question.type.rawValue >> 8)
            && storage[typeAt + 1] == UInt8(truncatingIfNeeded: question.type.rawValue)
            && storage[typeAt + 2] == UInt8(question.recordClass >> 8)
            && storage[typeAt + 3] == UInt8(truncatingIfNeeded: question.recordClass)
    }

    /// The hash of a cache key: the lowercase name wire form, type, class and DO bit.
    static func hash(_ question: DNSQuestion, dnssecOK: Bool) -> UInt32 {
        var hasher = Hasher()
        question.name.wire.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(question.type.rawValue)
        hasher.combine(question.recordClass)
        hasher.combine(dnssecOK)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }
}
