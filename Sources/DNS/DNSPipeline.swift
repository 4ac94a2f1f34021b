// The queries in flight on one stream connection to an upstream (DNS over TLS): several at once, each
// under its own message ID, answers matched by that ID in whatever order they come (RFC 7766 §6.2.1.1,
// RFC 7858 §3.3). At most `limit` are in flight; the rest wait in arrival order and are sent as answers
// free slots. Pure bookkeeping, no I/O: the connection (DNSTLSChannel) stamps the IDs it is given into
// the frames it writes.

struct DNSPipeline<Exchange> {
    let limit: Int
    private(set) var inFlight: [UInt16: Exchange] = [:]
    private(set) var waiting: [Exchange] = []
    /// IDs whose exchange went away (timed out, its query answered by another server) before the answer
    /// came: not given out again on this connection, so a late answer cannot be taken for a newer query.
    /// They do not count against `limit`; they end with the connection.
    private var abandoned = Set<UInt16>()

    init(limit: Int) { self.limit = limit }

    var isEmpty: Bool { inFlight.isEmpty && waiting.isEmpty }
    var count: Int { inFlight.count + waiting.count }
    var abandonedCount: Int { abandoned.count }

    /// Takes `exchange`: returns the ID to send it under when a slot is free (`preferredID` unless that
    /// one is taken), nil when it waits (`promote` sends it later).
    mutating func admit(_ exchange: Exchange, preferredID: UInt16) -> UInt16? {
        guard inFlight.count < limit, waiting.isEmpty else {
            waiting.append(exchange)
            return nil
        }
        let id = freeID(from: preferredID)
        inFlight[id] = exchange
        return id
    }

    /// The waiting exchanges that fit now, each with its ID (`preferredID` gives each one's first choice).
    mutating func promote(preferredID: (Exchange) -> UInt16) -> [(Exchange, UInt16)] {
        var sent: [(Exchange, UInt16)] = []
        while inFlight.count < limit, !waiting.isEmpty {
            let e = waiting.removeFirst()
            let id = freeID(from: preferredID(e))
            inFlight[id] = e
            sent.append((e, id))
        }
        return sent
    }

    /// The exchange `message` answers, by the ID in its first two bytes, now out of the pipeline; nil for
    /// a message shorter than an ID, or one whose ID is not in flight (a late answer to an abandoned ID
    /// frees that ID).
    mutating func answered(by message: ArraySlice<UInt8>) -> Exchange? {
        guard message.count >= 2 else { return nil }
        let id = UInt16(message[message.startIndex]) << 8 | UInt16(message[message.startIndex + 1])
        if abandoned.remove(id) != nil { return nil }
        return inFlight.removeValue(forKey: id)
    }

    /// Takes the exchange `isIt` picks out, wherever it is; true when it was in flight (its ID is then
    /// kept unused).
    @discardableResult
    mutating func remove(where isIt: (Exchange) -> Bool) -> Bool {
        if let i = waiting.firstIndex(where: isIt) {
            waiting.remove(at: i)
            return false
        }
        guard let (id, _) = inFlight.first(where: { isIt($0.value) }) else { return false }
        inFlight[id] = nil
        abandoned.insert(id)
        return true
    }

    /// Every exchange, in flight first (by ID) then waiting, and the pipeline emptied: the connection ended.
    mutating func drain() -> [Exchange] {
        let all = inFlight.sorted { $0.key < $1.key }.map(\.value) + waiting
        inFlight = [:]
        waiting = []
        abandoned = []
        return all
    }

    /// `preferred`, or the next ID after it that is neither in flight nor abandoned. There always is one:
    /// `limit` plus the abandoned IDs stay far below 65,536 (the connection closes when nothing answers).
    private func freeID(from preferred: UInt16) -> UInt16 {
        var id = preferred
        while inFlight[id] != nil || abandoned.contains(id) { id &+= 1 }
        return id
    }
}
