// A cache hit: a reference to the stored bytes (copy-on-write, nothing copied until asked). `shaped`
// makes the client's reply from them in one copy — the forwarder's ID, question case, OPT and size limit
// as for an upstream answer (DNSUpstreamAnswer.shape), every TTL counted down — without walking the
// message again: the stored form keeps where its sections end (DNSCachePolicy).

extension DNSCache {
    public struct CachedResponse: Sendable {
        let storage: [UInt8]
        let messageLength: Int
        /// Monotonic seconds when the answer was stored.
        public let storedAt: UInt64
        /// Monotonic second from which the entry is no longer served.
        public let expiresAt: UInt64

        /// The TTL offset table: after the message and its authority section's end.
        private var ttlOffsets: ArraySlice<UInt8> { storage[(messageLength + 2)...] }

        private func elapsed(_ now: UInt64) -> UInt32 { UInt32(clamping: now > storedAt ? now - storedAt : 0) }

        /// The stored message (no OPT, lowercase question, ID of the original upstream answer)
        /// with each record's TTL lowered by the seconds since it was stored, never below 0.
        public func bytes(now: UInt64) -> [UInt8] {
            var out = Array(storage[0..<messageLength])
            let elapsed = elapsed(now)
            let offsets = ttlOffsets
            var i = offsets.startIndex
            while i + 1 < offsets.endIndex {
                let at = Int(offsets[i]) << 8 | Int(offsets[i + 1])
                i += 2
                // Offsets were written by DNSCachePolicy inside the message; checked anyway.
                guard at + 4 <= out.count else { continue }
                let ttl = out.dnsUInt32(at: at)
                out.setDNSUInt32(ttl > elapsed ? ttl - elapsed : 0, at: at)
            }
            return out
        }

        /// The reply to `query` (whose question this entry holds) at `now`: `bytes(now:)` shaped as
        /// DNSUpstreamAnswer.shaped does. Nil only if the stored form were inconsistent.
        public func shaped(now: UInt64, for query: DNSQuery, limit: Int, advertisedUDPSize: UInt16) -> [UInt8]? {
            var out: [UInt8] = []
            return shaped(now: now, for: query, limit: limit, advertisedUDPSize: advertisedUDPSize, into: &out) ? out : nil
        }

        /// As `shaped(now:for:limit:advertisedUDPSize:)`, written over `out` (a reused buffer, its capacity
        /// kept); false where that returns nil.
        func shaped(now: UInt64, for query: DNSQuery, limit: Int, advertisedUDPSize: UInt16, into out: inout [UInt8]) -> Bool {
            guard let header = try? DNSHeader(parsing: storage) else { return false }
            let authorityEnd = Int(storage[messageLength]) << 8 | Int(storage[messageLength + 1])
            // Stored without OPT: the rcode is the header's (only NOERROR and NXDOMAIN are cached), and every
            // additional record is kept. The question has the wire length of the client's, whose it is.
            let sections = DNSAnswerSections(header: header, questionEnd: DNSHeader.size + query.questionRange.count,
                                             authorityEnd: authorityEnd, keptEnd: messageLength,
                                             keptAdditionalCount: Int(header.additionalCount),
                                             rcode: DNSResponseCode(rawValue: UInt16(header.rcodeLow)))
            return DNSUpstreamAnswer.shape(storage, sections, for: query, limit: limit,
                                           advertisedUDPSize: advertisedUDPSize,
                                           countdown: .init(offsets: ttlOffsets, elapsed: elapsed(now)), into: &out)
        }
    }
}
