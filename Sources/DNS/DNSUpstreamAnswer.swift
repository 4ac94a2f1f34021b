// A message from an upstream server, read once when it arrives: its header and echoed question (to
// match it to what we asked), and — when the whole message is well formed — where its sections are and,
// for the cache, every record. Matching, the rcode, truncation, the cache (DNSCachePolicy) and shaping
// the client's reply all read this one value; nothing walks the bytes again. Shaping copies byte ranges,
// never re-encodes records (compression pointers stay valid because record bytes are copied at their
// original offsets and only cut at record boundaries).

public struct DNSUpstreamAnswer {
    public let bytes: [UInt8]
    /// nil under 12 bytes.
    public let header: DNSHeader?
    /// The one question the message echoes; nil when QDCOUNT != 1 or the question does not parse.
    let question: DNSQuestion?
    /// The whole message walked; nil when anything after the question is malformed (such an answer
    /// still matches, and its header's rcode and TC bit still count: failover and TCP retry).
    let layout: DNSMessageLayout?

    /// Reads `bytes`. `collectRecords` keeps every record's position for the cache; without a cache
    /// there is nothing to keep them for.
    public init(_ bytes: [UInt8], collectRecords: Bool = true) {
        self.bytes = bytes
        header = try? DNSHeader(parsing: bytes)
        if let header, header.questionCount == 1,
           let (question, questionEnd) = try? DNSQuestion.parse(bytes, at: DNSHeader.size) {
            self.question = question
            layout = try? DNSMessageLayout(bytes, header: header, question: question, questionEnd: questionEnd,
                                           collectRecords: collectRecords)
        } else {
            question = nil
            layout = nil
        }
    }

    /// True when this answers the query we sent with `queryID` for `question`: QR=1, the same ID,
    /// exactly one question, equal to ours (name compared case-insensitively, type and class exactly).
    /// Anything else — garbage, a stale or spoofed packet — is false.
    public func matches(queryID: UInt16, question: DNSQuestion) -> Bool {
        guard let header, header.isResponse, header.id == queryID, let echoed = self.question else { return false }
        return echoed == question
    }

    /// The response code, extended by the OPT record's upper bits when the message parses (BADVERS and
    /// friends); the header's 4 bits when it does not; nil under 12 bytes.
    public var rcode: DNSResponseCode? {
        if let layout { return layout.rcode }
        return header.map { DNSResponseCode(rawValue: UInt16($0.rcodeLow)) }
    }

    /// TC=1: the upstream cut its answer (retry over TCP). False under 12 bytes.
    public var isTruncated: Bool { header?.isTruncated ?? false }

    /// The bytes to send to the client that asked `query`, built from this upstream answer
    /// (or a cached copy, DNSCachedResponse) to the same question:
    /// - ID = the client's; the question bytes in the client's original case (DNS 0x20);
    /// - QR=1, RA=1, opcode, RD and CD copied from the query, TC kept from upstream; AA=0 (stoep is
    ///   not the authority, nor is a cached copy); AD=0: stoep does not validate, and dnsmasq clears an
    ///   upstream's AD too unless `proxy-dnssec` (forward.c process_reply; RFC 4035 3.2.3);
    /// - the upstream's OPT record removed (with any additional record after it); when the client
    ///   sent OPT, ours appended: UDP size `advertisedUDPSize`, version 0, the client's DO bit and
    ///   the upstream's extended RCODE bits. A client without EDNS that would get an extended
    ///   RCODE (> 15, unrepresentable) gets SERVFAIL instead;
    /// - when the result exceeds `limit`: first the additional section is dropped without TC
    ///   (RFC 2181 9) unless the client set DO (RRSIGs there matter, RFC 4035 3.1.1); if that is
    ///   not enough, TC=1 and only header + question (+ OPT) remain.
    /// Returns nil when the answer cannot be parsed or its question is not `query`'s.
    public func shaped(for query: DNSQuery, limit: Int, advertisedUDPSize: UInt16) -> [UInt8]? {
        guard let layout, layout.question == query.question else { return nil }
        return Self.shape(bytes, layout.sections, for: query, limit: limit, advertisedUDPSize: advertisedUDPSize)
    }

    /// TTL fields to count down while shaping a cached copy: 2-byte offsets, `elapsed` seconds.
    struct TTLCountdown {
        var offsets: ArraySlice<UInt8>
        var elapsed: UInt32
    }

    /// Shapes `response`, whose parts sit at `sections` (see `shaped`); `countdown` lowers the TTLs of
    /// the records kept (a cached copy).
    static func shape(_ response: [UInt8], _ sections: DNSAnswerSections, for query: DNSQuery, limit: Int,
                      advertisedUDPSize: UInt16, countdown: TTLCountdown? = nil) -> [UInt8]? {
        var out: [UInt8] = []
        guard shape(response, sections, for: query, limit: limit, advertisedUDPSize: advertisedUDPSize,
                    countdown: countdown, into: &out) else { return nil }
        return out
    }

    /// As `shape(_:_:for:limit:advertisedUDPSize:countdown:)`, written over `out` (emptied, its capacity
    /// kept: a reused buffer, DNSAnswerBuffers). False, and `out` empty, where that returns nil.
    static func shape(_ response: [UInt8], _ sections: DNSAnswerSections, for query: DNSQuery, limit: Int,
                      advertisedUDPSize: UInt16, countdown: TTLCountdown?, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        let clientQuestion = query.packet[query.questionRange]
        let questionRange = DNSHeader.size..<sections.questionEnd
        // Equal names have equal wire lengths; checked anyway since the copy below relies on it.
        guard clientQuestion.count == questionRange.count else { return false }

        let optSize = query.edns == nil ? 0 : EDNS.fixedSize
        var cut = sections.keptEnd
        var answers = sections.header.answerCount
        var authority = sections.header.authorityCount
        var additional = UInt16(truncatingIfNeeded: sections.keptAdditionalCount)
        var truncated = sections.header.isTruncated
        if cut + optSize > limit, query.edns?.dnssecOK != true {
            cut = sections.authorityEnd
            additional = 0
        }
        if cut + optSize > limit {
            cut = sections.questionEnd
            answers = 0
            authority = 0
            additional = 0
            truncated = true
        }

        var rcode = sections.rcode
        if query.edns == nil, rcode.rawValue > 0x0F { rcode = .serverFailure }
        var flags = DNSHeader.qrBit | DNSHeader.raBit
            | (query.header.flags & (0x7800 | DNSHeader.rdBit | DNSHeader.cdBit))
            | (rcode.rawValue & 0x000F)
        if truncated { flags |= DNSHeader.tcBit }

        out.reserveCapacity(cut + optSize)
        out.append(contentsOf: response[0..<cut])
        out.setDNSUInt16(query.id, at: 0)
        out.setDNSUInt16(flags, at: 2)
        out.setDNSUInt16(1, at: 4)
        out.setDNSUInt16(answers, at: 6)
        out.setDNSUInt16(authority, at: 8)
        out.setDNSUInt16(additional &+ (query.edns == nil ? 0 : 1), at: 10)
        out.replaceSubrange(questionRange, with: clientQuestion)
        if let countdown {
            // TTL fields sit in records, past the question and the header patched above; a field past the
            // cut belongs to a record that was left out.
            var i = countdown.offsets.startIndex
            while i + 1 < countdown.offsets.endIndex {
                let at = Int(countdown.offsets[i]) << 8 | Int(countdown.offsets[i + 1])
                i += 2
                guard at + 4 <= cut else { continue }
                let ttl = out.dnsUInt32(at: at)
                out.setDNSUInt32(ttl > countdown.elapsed ? ttl - countdown.elapsed : 0, at: at)
            }
        }
        if let edns = query.edns {
            edns.reply(advertising: advertisedUDPSize, rcode: rcode).write(into: &out)
        }
        return true
    }
}
