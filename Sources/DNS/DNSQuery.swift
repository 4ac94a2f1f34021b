// Validating an incoming query before anything looks at its name.
// Policy (why each check): no header => nothing to answer; QR=1 => a response, never
// answered (no reflection loops); opcode != QUERY => NOTIMP; QDCOUNT != 1 => FORMERR;
// malformed name, records or OPT, or bytes after the last section => FORMERR; EDNS
// version > 0 => BADVERS (RFC 6891 6.1.3). Error replies carry at most the header, the
// question as received and an OPT record, so they are never larger than query + OPT.

/// A well-formed query. `packet` is the client's message, kept for echoing and forwarding.
public struct DNSQuery: Sendable {
    public let packet: [UInt8]
    public let header: DNSHeader
    public let question: DNSQuestion
    /// Where the question (name, type, class) sits in `packet`, uncompressed and in the client's case.
    public let questionRange: Range<Int>
    /// The client's OPT record, if it sent one.
    public let edns: EDNS?

    public var id: UInt16 { header.id }
    /// The question name in the client's original case, wire form.
    public var questionNameWire: ArraySlice<UInt8> { packet[questionRange.lowerBound..<(questionRange.upperBound - 4)] }

    /// Validates `packet` as a query. On failure, the rejection says whether to drop it or
    /// carries the error reply to send.
    public static func parse(_ packet: [UInt8]) -> Result<DNSQuery, DNSQueryRejection> {
        var nameStorage: [UInt8] = []
        nameStorage.reserveCapacity(32)
        return parse(packet, nameStorage: &nameStorage)
    }

    /// As `parse(_:)`, the question's name written into `nameStorage` (DNSAnswerBuffers.name): the query
    /// holds `packet` and that buffer, so a caller that reuses both allocates nothing here.
    public static func parse(_ packet: [UInt8], nameStorage: inout [UInt8]) -> Result<DNSQuery, DNSQueryRejection> {
        let header: DNSHeader
        do { header = try DNSHeader(parsing: packet) } catch { return .failure(.drop(error)) }
        guard !header.isResponse else { return .failure(.drop(.notAQuery)) }
        guard header.opcode == 0 else {
            return .failure(.reply(.unsupportedOpcode(header.opcode), rcode: .notImplemented, header: header))
        }
        guard header.questionCount == 1 else {
            return .failure(.reply(.questionCount(header.questionCount), rcode: .formatError, header: header))
        }
        let question: DNSQuestion
        let questionEnd: Int
        do {
            (question, questionEnd) = try DNSQuestion.parse(packet, at: DNSHeader.size, nameStorage: &nameStorage)
        } catch {
            return .failure(.reply(error, rcode: .formatError, header: header))
        }
        let partial = DNSQuery(packet: packet, header: header, question: question,
                               questionRange: DNSHeader.size..<questionEnd, edns: nil)
        var offset = questionEnd
        var edns: EDNS? = nil
        do throws(DNSWireError) {
            let recordCount = Int(header.answerCount) + Int(header.authorityCount)
            for _ in 0..<recordCount { offset = try skipRecord(packet, at: offset) }
            for _ in 0..<Int(header.additionalCount) {
                let nameEnd = try DNSName.skip(packet, at: offset)
                guard nameEnd + 2 <= packet.count else { throw .truncated(offset: nameEnd) }
                let type = UInt16(packet[nameEnd]) << 8 | UInt16(packet[nameEnd + 1])
                if type == DNSRecordType.opt.rawValue {
                    guard edns == nil else { throw .duplicateOPT(offset: offset) }
                    (edns, offset) = try EDNS.parse(packet, at: offset)
                } else {
                    offset = try skipRecord(packet, at: offset)
                }
            }
            guard offset == packet.count else {
                throw .trailingBytes(offset: offset, count: packet.count - offset)
            }
        } catch {
            // A malformed OPT is not echoed (RFC 6891 7); one parsed before the fault is.
            return .failure(.reply(error, rcode: .formatError, query: partial.with(edns: edns)))
        }
        let query = partial.with(edns: edns)
        if let version = edns?.version, version > 0 {
            return .failure(.reply(.unsupportedEDNSVersion(version), rcode: .badVersion, query: query))
        }
        return .success(query)
    }

    /// Skips one resource record, validating its owner name and RDLENGTH.
    private static func skipRecord(_ packet: [UInt8], at offset: Int) throws(DNSWireError) -> Int {
        let nameEnd = try DNSName.skip(packet, at: offset)
        guard nameEnd + 10 <= packet.count else { throw .truncated(offset: nameEnd) }
        let rdLength = Int(packet[nameEnd + 8]) << 8 | Int(packet[nameEnd + 9])
        let end = nameEnd + 10 + rdLength
        guard end <= packet.count else { throw .truncated(offset: nameEnd + 8) }
        return end
    }

    /// This query with bytes and name of its own, exact size: a query that waits for an upstream must not
    /// keep a listener's reused buffers (DNSAnswerBuffers).
    func owningItsBytes() -> DNSQuery {
        var question = question
        question.name = question.name.owned
        return DNSQuery(packet: packet.withUnsafeBufferPointer { Array($0) }, header: header, question: question, questionRange: questionRange, edns: edns)
    }

    private func with(edns: EDNS?) -> DNSQuery {
        DNSQuery(packet: packet, header: header, question: question, questionRange: questionRange, edns: edns)
    }
}

/// Why a packet is not a usable query, and what to do about it.
public struct DNSQueryRejection: Error, Sendable {
    public let reason: DNSWireError
    /// nil: drop silently. Otherwise the code sent back in `reply`.
    public let rcode: DNSResponseCode?
    /// The error reply to send, or nil when the packet must be dropped.
    public let reply: [UInt8]?
    /// The type of the question `reply` echoes; nil when it echoes none (header only, or no reply).
    public let questionType: DNSRecordType?

    static func drop(_ reason: DNSWireError) -> DNSQueryRejection {
        DNSQueryRejection(reason: reason, rcode: nil, reply: nil, questionType: nil)
    }

    /// A reply with only the header: the question could not be trusted.
    static func reply(_ reason: DNSWireError, rcode: DNSResponseCode, header: DNSHeader) -> DNSQueryRejection {
        var writer = DNSMessageWriter(capacity: DNSHeader.size)
        writer.append(DNSHeader(id: header.id,
                                flags: DNSHeader.responseFlags(to: header, rcode: rcode, authoritative: false)))
        return DNSQueryRejection(reason: reason, rcode: rcode, reply: writer.bytes, questionType: nil)
    }

    static func reply(_ reason: DNSWireError, rcode: DNSResponseCode, query: DNSQuery) -> DNSQueryRejection {
        DNSQueryRejection(reason: reason, rcode: rcode, reply: DNSErrorResponse.make(to: query, rcode: rcode),
                          questionType: query.question.type)
    }
}
