// The answer to a name a blocklist blocks, as Pi-hole's FTL writes it (src/dnsmasq_interface.c,
// FTL_make_answer, through dnsmasq's setup_reply):
//   block-mode null (default)  A → 0.0.0.0, AAAA → ::, ANY → both; NOERROR, AA=1 (setup_reply sets AA
//                              for F_IPV4/F_IPV6); any other type → NOERROR without records, AA=0 (F_NOERR)
//   block-mode nxdomain        NXDOMAIN, AA=0, every type
// Records carry `block-ttl` (FTL's dns.blockTTL, default 2 s: a client asks again soon after the name is
// unblocked). RA=1, RD and CD copied, the question echoed; with EDNS, an Extended DNS Error 15 "Blocked"
// (RFC 8914 4.16), as FTL adds by default (its dns.blocking.edns; FTL also adds the text "gravity").
// log-queries: `gravity blocked <name> is 0.0.0.0` / `is NODATA` / `is NXDOMAIN`, FTL's line for a gravity
// match, so pihole.log readers keep working.

extension DNSResponder {
    /// Extended DNS Error 15, "Blocked" (RFC 8914 4.16).
    static let blockedError: UInt16 = 15

    /// The blocked answer to `query` (a name the blocklist matched), written over `buffer` (DNSAnswerBuffers).
    public func blockedAnswer(to query: DNSQuery, transport: DNSTransport, mode: DNSSettings.BlockMode, ttl: UInt32,
                              reusing buffer: consuming [UInt8] = []) -> [UInt8] {
        let question = query.question
        var response = LocalResponse(query: query, limit: responseSizeLimit(for: query, transport: transport), buffer: consume buffer)
        response.authoritative = false
        switch mode {
        case .nxdomain:
            response.rcode = .nameError
            log?("gravity blocked \(DNSQueryLog.text(question.name)) is NXDOMAIN")
        case .null:
            let v4 = question.type == .a || question.type == .any
            let v6 = question.type == .aaaa || question.type == .any
            if v4 {
                response.writer.appendAddress(owner: question.name, .v4(.any), ttl: ttl)
                response.answerCount += 1
                log?("gravity blocked \(DNSQueryLog.text(question.name)) is 0.0.0.0")
            }
            if v6 {
                response.writer.appendAddress(owner: question.name, .v6(.any), ttl: ttl)
                response.answerCount += 1
                log?("gravity blocked \(DNSQueryLog.text(question.name)) is ::")
            }
            if v4 || v6 {
                response.authoritative = true
            } else {
                log?("gravity blocked \(DNSQueryLog.text(question.name)) is NODATA")
            }
        }
        return response.finish(advertising: UInt16(clamping: ednsPacketMax), extendedError: Self.blockedError)
    }
}
