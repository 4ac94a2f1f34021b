// What goes into the cache and for how long, following dnsmasq (cache.c, rfc1035.c) and RFC 2308:
// - NOERROR with answer records: the smallest answer TTL;
// - negative answers (NXDOMAIN, or NOERROR without answers = NODATA): min(SOA TTL, SOA MINIMUM)
//   from the authority section (RFC 2308 5), else `neg-ttl` when set, else not cached;
// - never SERVFAIL/REFUSED/FORMERR/anything else, truncated answers, or a TTL of 0;
// - lifetimes and every record's TTL clamped: at most `max-cache-ttl`, then at least
//   `min-cache-ttl` (dnsmasq applies them in that order, so the minimum wins a conflict).
// The stored form is the message without OPT, its question lowercased, TTLs already clamped,
// followed by where its authority section ends (2 bytes) and a table of every TTL field's offset, so an
// answer is one copy plus 4-byte patches, and shaping it needs no walk of the message.

struct DNSCachePolicy: Sendable {
    var minTTL: UInt32
    var maxTTL: UInt32?
    var negativeTTL: UInt32?

    /// A response ready to store: `storage` = message bytes, the authority section's end, then the
    /// TTL offsets (all 2-byte big-endian).
    struct Prepared {
        var storage: [UInt8]
        var messageLength: Int
        /// Seconds the entry may be served.
        var lifetime: UInt32
    }

    /// Decides whether `answer` (the upstream's answer to `question`) is cached and builds the stored
    /// form. Nil when it must not be cached or cannot be parsed.
    func prepare(_ answer: DNSUpstreamAnswer, question: DNSQuestion) -> Prepared? {
        let response = answer.bytes
        guard let layout = answer.layout?.recordsCollected == true ? answer.layout
                : try? DNSMessageLayout(parsing: response, collectRecords: true) else { return nil }
        let header = layout.header
        guard header.isResponse, header.opcode == 0, !header.isTruncated, layout.question == question,
              layout.keptEnd <= Int(UInt16.max) else { return nil }
        let rcode = layout.rcode
        guard rcode == .noError || rcode == .nameError else { return nil }

        var answerMinimum: UInt32? = nil
        for record in layout.records where record.section == .answer {
            answerMinimum = min(answerMinimum ?? .max, Self.ttl(response, record))
        }
        var lifetime: UInt32
        var soaOffset: Int? = nil
        if rcode == .noError, let answerMinimum {
            lifetime = answerMinimum
        } else {
            if let soa = Self.negativeTTL(response, layout) {
                lifetime = soa.ttl
                soaOffset = soa.ttlOffset
            } else if let negativeTTL {
                lifetime = negativeTTL
            } else {
                return nil
            }
            // NXDOMAIN at the end of a CNAME chain: the aliases must not outlive their own TTL.
            if let answerMinimum { lifetime = min(lifetime, answerMinimum) }
        }
        guard lifetime > 0 else { return nil }
        lifetime = clamp(lifetime)
        guard !Self.ownerNamesReadTTLs(response, layout.records) else { return nil }

        var storage: [UInt8] = []
        storage.reserveCapacity(layout.keptEnd + 2 + 2 * layout.records.count)
        storage.append(contentsOf: response[0..<layout.keptEnd])
        storage.setDNSUInt16(UInt16(truncatingIfNeeded: layout.keptAdditionalCount), at: 10)
        // The question name is uncompressed; length bytes are <= 63, never in 'A'...'Z'.
        for i in DNSHeader.size..<(layout.questionEnd - 4) { storage[i] = DNSName.lowercase(storage[i]) }
        for record in layout.records {
            let ttl = record.ttlOffset == soaOffset ? lifetime : clamp(Self.ttl(response, record))
            storage.setDNSUInt32(ttl, at: record.ttlOffset)
        }
        storage.append(UInt8(truncatingIfNeeded: layout.authorityEnd >> 8))
        storage.append(UInt8(truncatingIfNeeded: layout.authorityEnd))
        for record in layout.records {
            storage.append(UInt8(truncatingIfNeeded: record.ttlOffset >> 8))
            storage.append(UInt8(truncatingIfNeeded: record.ttlOffset))
        }
        return Prepared(storage: storage, messageLength: layout.keptEnd, lifetime: lifetime)
    }

    /// `max-cache-ttl` first, then `min-cache-ttl`.
    func clamp(_ ttl: UInt32) -> UInt32 {
        max(min(ttl, maxTTL ?? ttl), minTTL)
    }

    /// A record's TTL; values with the top bit set count as 0 (RFC 2181 8).
    static func ttl(_ message: [UInt8], _ record: DNSMessageLayout.Record) -> UInt32 {
        let ttl = message.dnsUInt32(at: record.ttlOffset)
        return ttl & 0x8000_0000 == 0 ? ttl : 0
    }

    /// RFC 2308 5: the first SOA of the authority section gives min(its TTL, its MINIMUM field,
    /// the last 32 bits of RDATA). Returns that and the SOA's TTL offset (its stored TTL becomes
    /// the entry's lifetime, RFC 2308 3). Nil without a well-formed SOA.
    static func negativeTTL(_ message: [UInt8], _ layout: DNSMessageLayout) -> (ttl: UInt32, ttlOffset: Int)? {
        // Smallest SOA RDATA: two root names (1 byte each) and five 32-bit fields.
        let minimumRDLength = 22
        for record in layout.records where record.section == .authority && record.type == DNSRecordType.soa.rawValue {
            guard record.end - record.rdataStart >= minimumRDLength else { return nil }
            let minimum = message.dnsUInt32(at: record.end - 4)
            let soaMinimum = minimum & 0x8000_0000 == 0 ? minimum : 0
            return (min(ttl(message, record), soaMinimum), record.ttlOffset)
        }
        return nil
    }

    /// True when some record's owner name, followed through its pointers, reads a byte of any
    /// record's TTL field. Rewriting or counting down that TTL would then change the name or make
    /// it invalid, and the cached copy would stop parsing. Only hostile messages point there.
    /// The names were validated by DNSMessageLayout, so each walk ends; the bound is kept anyway.
    static func ownerNamesReadTTLs(_ message: [UInt8], _ records: [DNSMessageLayout.Record]) -> Bool {
        // TTL fields in message order, so ascending: binary search for the first one ending after `start`.
        func overlapsTTL(_ start: Int, _ end: Int) -> Bool {
            var low = 0, high = records.count
            while low < high {
                let mid = (low + high) / 2
                if records[mid].ttlOffset + 4 <= start { low = mid + 1 } else { high = mid }
            }
            return low < records.count && records[low].ttlOffset < end
        }
        for record in records {
            var position = record.start
            var steps = 0
            while position + 1 < message.count, steps <= DNSName.maxWireLength {
                steps += 1
                let length = Int(message[position])
                if length & 0xC0 == 0xC0 {
                    if overlapsTTL(position, position + 2) { return true }
                    position = (length & 0x3F) << 8 | Int(message[position + 1])
                    continue
                }
                if overlapsTTL(position, position + 1 + length) { return true }
                if length == 0 { break }
                position += 1 + length
            }
        }
        return false
    }
}
