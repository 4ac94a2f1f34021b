// Where the sections of a response sit, found in one validating walk (RFC 1035 4.1). Upstream
// answers are shaped and cached by copying byte ranges, never by re-encoding, so all that is
// needed is the boundaries: end of question, answer, authority, and where the kept records end
// (the start of the OPT record, which is dropped together with anything after it — pointers
// only point backwards, so cutting at a record boundary never breaks a name).

struct DNSMessageLayout {
    /// One resource record: where it starts and ends, its type, and where its TTL field is.
    struct Record {
        var start: Int
        var ttlOffset: Int
        var end: Int
        var type: UInt16
        var section: Section

        var rdataStart: Int { ttlOffset + 6 }
    }

    enum Section { case answer, authority, additional }

    let header: DNSHeader
    let question: DNSQuestion
    /// The question starts at 12 and is never compressed (no earlier name to point to).
    let questionEnd: Int
    let answerEnd: Int
    let authorityEnd: Int
    /// End of the records kept: the OPT record's start, or the end of the last record.
    let keptEnd: Int
    /// Additional records before the OPT record (the ones `keptEnd` keeps).
    let keptAdditionalCount: Int
    /// The upstream's OPT record, if any.
    let edns: EDNS?
    /// Every kept record in order (answer, authority, additional before OPT); empty unless collected.
    let records: [Record]

    /// Whether `records` was filled (`collectRecords`).
    let recordsCollected: Bool

    /// Walks `message`. Throws on any framing error (short header, QDCOUNT != 1, bad names,
    /// records running past the end, more than one OPT, malformed OPT). Bytes after the
    /// last announced record are ignored (they are never copied). `collectRecords` fills `records`.
    init(parsing message: [UInt8], collectRecords: Bool = false) throws(DNSWireError) {
        let header = try DNSHeader(parsing: message)
        guard header.questionCount == 1 else { throw .questionCount(header.questionCount) }
        let (question, questionEnd) = try DNSQuestion.parse(message, at: DNSHeader.size)
        try self.init(message, header: header, question: question, questionEnd: questionEnd,
                      collectRecords: collectRecords)
    }

    /// Walks the records of `message` after its header and its one question, already read (an upstream
    /// answer reads those first to match it to the query: DNSUpstreamAnswer).
    init(_ message: [UInt8], header: DNSHeader, question: DNSQuestion, questionEnd: Int,
         collectRecords: Bool) throws(DNSWireError) {
        self.header = header
        self.question = question
        self.questionEnd = questionEnd
        var collected: [Record] = []
        if collectRecords {
            // Each record takes at least 11 bytes: hostile counts cannot make this reserve large.
            let total = Int(header.answerCount) + Int(header.authorityCount) + Int(header.additionalCount)
            collected.reserveCapacity(min(total, message.count / 11))
        }
        var offset = questionEnd
        func walk(_ count: UInt16, _ section: Section) throws(DNSWireError) {
            for _ in 0..<Int(count) {
                let record = try Self.record(message, at: offset, section: section)
                if collectRecords { collected.append(record) }
                offset = record.end
            }
        }
        try walk(header.answerCount, .answer)
        answerEnd = offset
        try walk(header.authorityCount, .authority)
        authorityEnd = offset
        var opt: (edns: EDNS, start: Int, kept: Int)? = nil
        var additional = 0
        for _ in 0..<Int(header.additionalCount) {
            let record = try Self.record(message, at: offset, section: .additional)
            if record.type == DNSRecordType.opt.rawValue {
                guard opt == nil else { throw .duplicateOPT(offset: offset) }
                let (edns, _) = try EDNS.parse(message, at: offset)
                opt = (edns, offset, additional)
            } else if opt == nil {
                if collectRecords { collected.append(record) }
                additional += 1
            }
            offset = record.end
        }
        edns = opt?.edns
        keptEnd = opt?.start ?? offset
        keptAdditionalCount = opt?.kept ?? additional
        records = collected
        recordsCollected = collectRecords
    }

    /// Reads the record framing at `offset`: owner name, fixed fields, RDLENGTH within the message.
    static func record(_ message: [UInt8], at offset: Int, section: Section) throws(DNSWireError) -> Record {
        let nameEnd = try DNSName.skip(message, at: offset)
        guard nameEnd + 10 <= message.count else { throw .truncated(offset: nameEnd) }
        let type = UInt16(message[nameEnd]) << 8 | UInt16(message[nameEnd + 1])
        let rdLength = Int(message[nameEnd + 8]) << 8 | Int(message[nameEnd + 9])
        let end = nameEnd + 10 + rdLength
        guard end <= message.count else { throw .truncated(offset: nameEnd + 8) }
        return Record(start: offset, ttlOffset: nameEnd + 4, end: end, type: type, section: section)
    }

    /// The full 12-bit response code: the header's low 4 bits and the OPT's upper 8 (RFC 6891 6.1.3).
    var rcode: DNSResponseCode {
        DNSResponseCode(rawValue: UInt16(edns?.extendedRCode ?? 0) << 4 | UInt16(header.rcodeLow))
    }

    /// The boundaries an answer is shaped by.
    var sections: DNSAnswerSections {
        DNSAnswerSections(header: header, questionEnd: questionEnd, authorityEnd: authorityEnd, keptEnd: keptEnd,
                          keptAdditionalCount: keptAdditionalCount, rcode: rcode)
    }
}

/// Where the parts of an answer sit, as shaping needs them: from a layout just walked (an upstream
/// answer), or from what a cache entry kept of it (a cached answer is not walked again).
struct DNSAnswerSections {
    var header: DNSHeader
    var questionEnd: Int
    var authorityEnd: Int
    /// End of the records kept (the OPT record and anything after it are dropped).
    var keptEnd: Int
    var keptAdditionalCount: Int
    var rcode: DNSResponseCode
}

extension [UInt8] {
    /// Big-endian 32-bit read; the caller has checked `offset + 4 <= count`.
    @inline(__always) func dnsUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }

    /// Big-endian 32-bit write; the caller has checked `offset + 4 <= count`.
    @inline(__always) mutating func setDNSUInt32(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: value)
    }

    /// Big-endian 16-bit write; the caller has checked `offset + 2 <= count`.
    @inline(__always) mutating func setDNSUInt16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}
