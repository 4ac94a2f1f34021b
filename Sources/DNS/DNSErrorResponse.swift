// Error replies to a parsed query: REFUSED without an upstream or past dns-forward-max,
// SERVFAIL when upstreams fail, FORMERR/BADVERS from validation, REFUSED/FORMERR for meta-type
// questions about local names. Header (AA=0) + the client's question bytes + OPT when the
// client sent OPT: never bigger than the query plus one OPT record (and an EDE option).

public enum DNSErrorResponse {
    /// Builds the reply. `advertisedUDPSize` goes into our OPT; `extendedError` adds an
    /// RFC 8914 EDE option (e.g. 14 "Not Ready", as dnsmasq sends with REFUSED when it has no upstream)
    /// — only when the query carried OPT.
    public static func make(to query: DNSQuery, rcode: DNSResponseCode,
                            advertisedUDPSize: UInt16 = EDNS.defaultUDPSize,
                            extendedError: UInt16? = nil) -> [UInt8] {
        var writer = DNSMessageWriter(capacity: query.questionRange.count + DNSHeader.size + EDNS.fixedSize + 6)
        writer.append(DNSHeader(id: query.id,
                                flags: DNSHeader.responseFlags(to: query.header, rcode: rcode, authoritative: false),
                                questionCount: 1, additionalCount: query.edns == nil ? 0 : 1))
        writer.appendQuestion(wire: query.packet[query.questionRange], name: query.question.name)
        if let edns = query.edns {
            writer.appendOPT(edns.reply(advertising: advertisedUDPSize, rcode: rcode), extendedError: extendedError)
        }
        return writer.bytes
    }

    /// Extended DNS Error 14, "Not Ready" (RFC 8914 4.15).
    public static let notReady: UInt16 = 14
}
