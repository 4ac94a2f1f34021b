// Checking that a message from an upstream server answers what we asked, and turning it (or a
// cached copy) into the reply for our client. Pure functions over bytes: no allocation beyond
// the reply itself, no re-encoding of records (compression pointers stay valid because record
// bytes are copied at their original offsets and only cut at record boundaries).

public enum DNSUpstreamAnswer {
    /// True when `response` is an answer to the query we sent with `queryID` for `question`:
    /// QR=1, the same ID, exactly one question, equal to ours (name compared case-insensitively,
    /// type and class exactly). Anything else — garbage, a stale or spoofed packet — is false.
    public static func matches(response: [UInt8], queryID: UInt16, question: DNSQuestion) -> Bool {
        guard let header = try? DNSHeader(parsing: response),
              header.isResponse, header.id == queryID, header.questionCount == 1,
              let echoed = try? DNSQuestion.parse(response, at: DNSHeader.size) else { return false }
        return echoed.question == question
    }

    /// The response code, extended by the OPT record's upper bits when the message parses
    /// (BADVERS and friends); the header's 4 bits when it does not; nil under 12 bytes.
    public static func rcode(_ response: [UInt8]) -> DNSResponseCode? {
        guard let header = try? DNSHeader(parsing: response) else { return nil }
        if let layout = try? DNSMessageLayout(parsing: response) { return layout.rcode }
        return DNSResponseCode(rawValue: UInt16(header.rcodeLow))
    }

    /// TC=1: the upstream cut its answer (retry over TCP). False for anything under 12 bytes.
    public static func isTruncated(_ response: [UInt8]) -> Bool {
        guard let header = try? DNSHeader(parsing: response) else { return false }
        return header.isTruncated
    }

    /// The bytes to send to the client that asked `query`, built from an upstream (or cached)
    /// `response` to the same question:
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
    /// Returns nil when `response` cannot be parsed or its question is not `query`'s.
    public static func shape(_ response: [UInt8], for query: DNSQuery, limit: Int,
                             advertisedUDPSize: UInt16) -> [UInt8]? {
        guard let layout = try? DNSMessageLayout(parsing: response), layout.question == query.question else {
            return nil
        }
        let clientQuestion = query.packet[query.questionRange]
        let questionRange = DNSHeader.size..<layout.questionEnd
        // Equal names have equal wire lengths; checked anyway since the copy below relies on it.
        guard clientQuestion.count == questionRange.count else { return nil }

        let optSize = query.edns == nil ? 0 : EDNS.fixedSize
        var cut = layout.keptEnd
        var answers = layout.header.answerCount
        var authority = layout.header.authorityCount
        var additional = UInt16(truncatingIfNeeded: layout.keptAdditionalCount)
        var truncated = layout.header.isTruncated
        if cut + optSize > limit, query.edns?.dnssecOK != true {
            cut = layout.authorityEnd
            additional = 0
        }
        if cut + optSize > limit {
            cut = layout.questionEnd
            answers = 0
            authority = 0
            additional = 0
            truncated = true
        }

        var rcode = layout.rcode
        if query.edns == nil, rcode.rawValue > 0x0F { rcode = .serverFailure }
        var flags = DNSHeader.qrBit | DNSHeader.raBit
            | (query.header.flags & (0x7800 | DNSHeader.rdBit | DNSHeader.cdBit))
            | (rcode.rawValue & 0x000F)
        if truncated { flags |= DNSHeader.tcBit }

        var out: [UInt8] = []
        out.reserveCapacity(cut + optSize)
        out.append(contentsOf: response[0..<cut])
        out.setDNSUInt16(query.id, at: 0)
        out.setDNSUInt16(flags, at: 2)
        out.setDNSUInt16(1, at: 4)
        out.setDNSUInt16(answers, at: 6)
        out.setDNSUInt16(authority, at: 8)
        out.setDNSUInt16(additional &+ (query.edns == nil ? 0 : 1), at: 10)
        out.replaceSubrange(questionRange, with: clientQuestion)
        if let edns = query.edns {
            edns.reply(advertising: advertisedUDPSize, rcode: rcode).write(into: &out)
        }
        return out
    }
}
