// The per-packet entry point the network layer calls: validate, answer from the local
// zone, or hand the query back for forwarding. Pure: no sockets, no clock, no globals.
// Local answers: RA=1, RD and CD copied, AD=0, the question echoed in the client's case,
// TTL = local-ttl (or the record's own), OPT when the query had OPT. The rcode and AA bit are
// dnsmasq 2.90's for the same data (docs/dns.md, "Answers"; dnsmasq's function in brackets):
//   records of the asked type                               NOERROR  AA=1
//   local-only domain (local=, address=/d/, server=/d/)     NXDOMAIN AA=0  (setup_reply)
//   … a name with records below it, or other types of a
//     name with records there                               NOERROR  AA=0  (is_local_answer F_NOERR)
//   other types of a name with records, elsewhere           NOERROR  AA=1  (dnsmasq forwards and makes
//                                                                           this of the upstream's NXDOMAIN)
//   domain-needed, dotless A/AAAA                           NXDOMAIN AA=0  (NOERROR if the name is local)
//   bogus-priv zone: PTR/ANY                                NXDOMAIN AA=1  (answer_request)
//   bogus-priv zone: other types                            NXDOMAIN AA=0  (dnsmasq forwards)
//   MAILB, any name                                         NXDOMAIN AA=1  (answer_request)
// Meta-type questions (AXFR/IXFR: REFUSED; OPT, TKEY, TSIG, MAILA, 128-248: FORMERR) for names
// with local records get the error a recursive server gives, never NOERROR; dnsmasq forwards them.

public enum DNSTransport: Sendable {
    case udp
    /// Messages without the 2-byte TCP length prefix (the caller frames them).
    case tcp
}

/// What to do with one incoming packet.
public enum DNSDecision: Sendable {
    /// Send these bytes back to the client.
    case answer([UInt8])
    /// Not local: resolve through the cache and the upstreams (DNSForwarder).
    case forward(DNSQuery)
    /// Send nothing (too short to answer, or a response packet).
    case drop(DNSWireError)
}

/// A class, not a struct: `DNSService` calls it for every query, and a struct stored in the service was
/// copied (every field retained and released) for each call (issue 18: ~10 % of a local answer's
/// instructions). It is replaced whole on reload; `zone` is swapped in place.
public final class DNSResponder {
    public var zone: LocalZone
    /// Largest UDP answer we send, and the size our OPT advertises (`edns-packet-max`).
    public var ednsPacketMax: Int
    /// `domain-needed`: A/AAAA for dotless names that are not local get NXDOMAIN instead of being forwarded.
    public var domainNeeded: Bool
    /// Receives log-queries lines; nil = off (then no line is ever formatted).
    public var log: ((String) -> Void)?

    /// Longest CNAME chain followed while answering.
    static let maxAliasChain = 8

    public init(zone: LocalZone, settings: DNSSettings = DNSSettings(), log: ((String) -> Void)? = nil) {
        self.zone = zone
        self.ednsPacketMax = max(settings.ednsPacketMax, Int(EDNS.minimumUDPSize))
        self.domainNeeded = settings.domainNeeded
        self.log = settings.logQueries == .off ? nil : log
    }

    /// Decides what to do with `packet` received over `transport` from `client` (used only for logging).
    public func respond(to packet: [UInt8], transport: DNSTransport, client: IPAddress? = nil) -> DNSDecision {
        switch DNSQuery.parse(packet) {
        case .failure(let rejection):
            guard let reply = rejection.reply else { return .drop(rejection.reason) }
            return .answer(reply)
        case .success(let query):
            return answer(query, transport: transport, client: client)
        }
    }

    /// Answers an already validated query from local data, or returns `.forward`.
    public func answer(_ query: DNSQuery, transport: DNSTransport, client: IPAddress? = nil) -> DNSDecision {
        var buffers = DNSAnswerBuffers()
        return answer(query, transport: transport, client: client, buffers: &buffers)
    }

    /// As `answer(_:transport:client:)`, a local answer written into `buffers.answer` (the answer returned
    /// is that buffer, for the caller to recycle; a forwarded query leaves it where it was).
    func answer(_ query: DNSQuery, transport: DNSTransport, client: IPAddress?,
                buffers: inout DNSAnswerBuffers) -> DNSDecision {
        let question = query.question
        if let log, let client { log(DNSQueryLog.query(question.type, question.name, from: client)) }
        guard question.recordClass == DNSQuestion.classIN || question.recordClass == DNSQuestion.classANY else {
            return .forward(query)
        }
        let match = zone.lookup(question.name)
        if let rcode = question.type.metaQuestionRcode, match.hasLocalNames {
            log?(DNSQueryLog.configError(rcode))
            return .answer(DNSErrorResponse.make(to: query, rcode: rcode, advertisedUDPSize: UInt16(clamping: ednsPacketMax)))
        }
        let dotlessAnswered = domainNeeded && question.type.isAddress && question.name.labelCount == 1
        if case .notLocal = match, question.type != .mailb, !dotlessAnswered { return .forward(query) }
        var response = LocalResponse(query: query, limit: responseSizeLimit(for: query, transport: transport),
                                     buffer: buffers.takeAnswer())
        if question.type == .mailb { return .answer(mailboxAnswer(match, into: &response)) }
        switch match {
        case .notLocal:
            // Only domain-needed's dotless A/AAAA get here (the rest was forwarded above).
            // dnsmasq's own answer (forward.c, OPT_NODOTS_LOCAL): NOERROR when the name exists locally.
            response.authoritative = false
            if zone.isNonTerminal(question.name) {
                log?(DNSQueryLog.nodata(.config, question.name, type: question.type))
            } else {
                response.rcode = .nameError
                log?(DNSQueryLog.nxdomain(.config, question.name))
            }
        case .nxdomain:
            response.rcode = .nameError
            response.authoritative = false
            log?(DNSQueryLog.nxdomain(.config, question.name))
        case .emptyNonTerminal:
            response.authoritative = false
            log?(DNSQueryLog.nodata(.config, question.name, type: question.type))
        case .privateReverse:
            response.rcode = .nameError
            response.authoritative = question.type == .ptr || question.type == .any
            log?(DNSQueryLog.nxdomain(.config, question.name))
        case .addresses(let set):
            addAddresses(set, owner: question.name, oneFamilyForANY: false, to: &response)
        case .domainAddresses(let set):
            addAddresses(set, owner: question.name, oneFamilyForANY: true, to: &response)
        case .pointer(let target, let address, let ttl, let source):
            if question.type == .ptr || question.type == .any {
                response.writer.appendNameRecord(owner: question.name, type: .ptr, ttl: ttl, target: target)
                response.answerCount += 1
                log?(DNSQueryLog.pointer(source, address, is: target))
            } else {
                response.authoritative = !zone.inLocalOnlyDomain(question.name)
                log?(DNSQueryLog.nodata(source, question.name, type: question.type))
            }
        case .alias(let target, let ttl):
            addAliasChain(from: question.name, to: target, ttl: ttl, into: &response)
        }
        return .answer(response.finish(advertising: UInt16(clamping: ednsPacketMax)))
    }

    /// dnsmasq answers MAILB itself for every name (rfc1035.c answer_request): NXDOMAIN with AA,
    /// after the CNAME chain of an alias.
    private func mailboxAnswer(_ match: LocalMatch, into response: inout LocalResponse) -> [UInt8] {
        if case .alias(let target, let ttl) = match {
            addAliasChain(from: response.query.question.name, to: target, ttl: ttl, into: &response)
        }
        response.rcode = .nameError
        response.authoritative = true
        return response.finish(advertising: UInt16(clamping: ednsPacketMax))
    }

    /// The REFUSED reply stoep sends while it has no upstream for `query` (dnsmasq adds EDE 14 "Not Ready").
    public func refused(_ query: DNSQuery) -> [UInt8] {
        log?(DNSQueryLog.configError(.refused))
        return DNSErrorResponse.make(to: query, rcode: .refused, advertisedUDPSize: UInt16(clamping: ednsPacketMax),
                                     extendedError: DNSErrorResponse.notReady)
    }

    /// The largest response allowed: over UDP the client's EDNS size clamped to 512...edns-packet-max
    /// (512 without EDNS, RFC 1035 4.2.1); over TCP the 16-bit length limit.
    public func responseSizeLimit(for query: DNSQuery, transport: DNSTransport) -> Int {
        switch transport {
        case .tcp: return Int(UInt16.max)
        case .udp:
            guard let edns = query.edns else { return Int(EDNS.minimumUDPSize) }
            return min(max(Int(edns.udpPayloadSize), Int(EDNS.minimumUDPSize)), ednsPacketMax)
        }
    }

    /// A/AAAA records of `set` matching the question type; for ANY both families, or for an
    /// address= domain (`oneFamilyForANY`) the one dnsmasq answers: IPv6 when there is any, IPv4
    /// otherwise, both for `#`. No match is NODATA, with the AA bit of the table at the top.
    private func addAddresses(_ set: LocalAddressSet, owner: DNSName, oneFamilyForANY: Bool,
                              to response: inout LocalResponse) {
        let type = response.query.question.type
        let before = response.answerCount
        var v4 = type == .a, v6 = type == .aaaa
        if type == .any {
            v6 = true
            v4 = !oneFamilyForANY || set.v6.isEmpty || set.isBlockAddresses
        }
        if v4 {
            for a in set.v4 { add(.v4(a), owner: owner, set: set, to: &response) }
        }
        if v6 {
            for a in set.v6 { add(.v6(a), owner: owner, set: set, to: &response) }
        }
        guard response.answerCount == before else { return }
        if before == 0 {
            // dnsmasq answers itself (no AA) under local= and for domain-needed; elsewhere it forwards.
            let dotless = domainNeeded && type.isAddress && response.query.question.name.labelCount == 1
            response.authoritative = !(set.inLocalOnlyDomain || dotless)
        }
        if type != .cname { log?(DNSQueryLog.nodata(set.source, owner, type: type)) }
    }

    private func add(_ address: IPAddress, owner: DNSName, set: LocalAddressSet, to response: inout LocalResponse) {
        response.writer.appendAddress(owner: owner, address, ttl: set.ttl)
        response.answerCount += 1
        log?(DNSQueryLog.answer(set.source, owner, is: address))
    }

    /// CNAME records down the chain, then the final name's addresses (unless the question asked for CNAME).
    private func addAliasChain(from alias: DNSName, to target: DNSName, ttl: UInt32, into response: inout LocalResponse) {
        var owner = alias
        var next = (target: target, ttl: ttl)
        for _ in 0..<Self.maxAliasChain {
            response.writer.appendNameRecord(owner: owner, type: .cname, ttl: next.ttl, target: next.target)
            response.answerCount += 1
            log?(DNSQueryLog.cname(.config, owner))
            if response.query.question.type == .cname { return }
            owner = next.target
            switch zone.lookupExact(owner) {
            case .addresses(let set):
                addAddresses(set, owner: owner, oneFamilyForANY: false, to: &response)
                return
            case .alias(let t, let ttl):
                next = (t, ttl)
            default:
                return
            }
        }
    }
}

/// A local answer being written: header placeholder, echoed question, answers, then OPT.
struct LocalResponse {
    let query: DNSQuery
    let limit: Int
    var writer: DNSMessageWriter
    var answerCount: UInt16 = 0
    var rcode: DNSResponseCode = .noError
    /// The AA bit (see the table at the top of this file).
    var authoritative = true
    private let questionEnd: Int

    /// `buffer` is written over (DNSAnswerBuffers.answer; an empty array when nothing is reused).
    init(query: DNSQuery, limit: Int, buffer: consuming [UInt8] = []) {
        self.query = query
        self.limit = limit
        writer = DNSMessageWriter(reusing: consume buffer, capacity: min(limit, 512))
        writer.append(DNSHeader(id: query.id, questionCount: 1, additionalCount: query.edns == nil ? 0 : 1))
        writer.appendQuestion(wire: query.packet[query.questionRange], name: query.question.name)
        questionEnd = writer.count
    }

    /// Sets the header; drops every answer and sets TC when they do not fit in `limit` with the OPT.
    mutating func finish(advertising size: UInt16, extendedError: UInt16? = nil) -> [UInt8] {
        var flags = DNSHeader.responseFlags(to: query.header, rcode: rcode, authoritative: authoritative)
        let optSize = query.edns == nil ? 0 : EDNS.fixedSize
        if writer.count + optSize > limit {
            writer.truncate(to: questionEnd)
            answerCount = 0
            flags |= DNSHeader.tcBit
        }
        if let edns = query.edns { writer.appendOPT(edns.reply(advertising: size, rcode: rcode), extendedError: extendedError) }
        writer.setUInt16(flags, at: 2)
        writer.setUInt16(answerCount, at: 6)
        return writer.bytes
    }
}

extension LocalMatch {
    /// True when the zone has names here (records, or records below an empty non-terminal): the
    /// cases where a meta-type question gets an error instead of NOERROR.
    var hasLocalNames: Bool {
        switch self {
        case .addresses, .domainAddresses, .pointer, .alias, .emptyNonTerminal: return true
        case .nxdomain, .privateReverse, .notLocal: return false
        }
    }
}
