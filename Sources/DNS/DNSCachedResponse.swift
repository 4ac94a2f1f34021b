// A cache hit: a reference to the stored bytes (copy-on-write, nothing copied until asked) that
// produces the message with every TTL counted down. The forwarder then passes the bytes through
// DNSUpstreamAnswer.shape for the client's ID, question case, OPT and size limit.

extension DNSCache {
    public struct CachedResponse: Sendable {
        let storage: [UInt8]
        let messageLength: Int
        /// Monotonic seconds when the answer was stored.
        public let storedAt: UInt64
        /// Monotonic second from which the entry is no longer served.
        public let expiresAt: UInt64

        /// The stored message (no OPT, lowercase question, ID of the original upstream answer)
        /// with each record's TTL lowered by the seconds since it was stored, never below 0.
        public func bytes(now: UInt64) -> [UInt8] {
            var out = Array(storage[0..<messageLength])
            let elapsed = UInt32(clamping: now > storedAt ? now - storedAt : 0)
            var i = messageLength
            while i + 1 < storage.count {
                let at = Int(storage[i]) << 8 | Int(storage[i + 1])
                i += 2
                // Offsets were written by DNSCachePolicy inside the message; checked anyway.
                guard at + 4 <= out.count else { continue }
                let ttl = out.dnsUInt32(at: at)
                out.setDNSUInt32(ttl > elapsed ? ttl - elapsed : 0, at: at)
            }
            return out
        }
    }
}
