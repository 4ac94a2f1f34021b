// Malformed and hostile query packets as hex, with the decision each must get. Kept as
// data so other tests (fuzzers, the network layer's integration tests) can replay them.
// Header used: ID beef, RD set. "q" = question a.test A IN.

enum MalformedPacketCorpus {
    enum Expected: Equatable {
        /// No reply at all.
        case drop
        /// A reply with this RCODE (12-bit, BADVERS = 16).
        case reply(UInt16)
    }

    struct Case {
        var name: String
        var hex: String
        var expected: Expected
    }

    static let header = "beef 0100 0001 0000 0000 0000"
    static let headerWithOPT = "beef 0100 0001 0000 0000 0001"
    static let question = "01 61 04 74657374 00 0001 0001"
    static let opt = "00 0029 04d0 00000000 0000"

    static let cases: [Case] = [
        Case(name: "empty packet", hex: "", expected: .drop),
        Case(name: "11-byte header", hex: "beef 0100 0001 0000 0000 00", expected: .drop),
        Case(name: "response (QR=1) is never answered", hex: "beef 8180 0001 0000 0000 0000" + question,
             expected: .drop),
        Case(name: "response with error rcode", hex: "beef 8183 0001 0000 0000 0000" + question, expected: .drop),
        Case(name: "opcode 2 (STATUS)", hex: "beef 1100 0001 0000 0000 0000" + question, expected: .reply(4)),
        Case(name: "opcode 5 (UPDATE)", hex: "beef 2800 0001 0000 0000 0000" + question, expected: .reply(4)),
        Case(name: "QDCOUNT 0", hex: "beef 0100 0000 0000 0000 0000", expected: .reply(1)),
        Case(name: "QDCOUNT 2", hex: "beef 0100 0002 0000 0000 0000" + question + question, expected: .reply(1)),
        Case(name: "pointer to itself", hex: header + "c00c 0001 0001", expected: .reply(1)),
        Case(name: "forward pointer", hex: header + "c00e 01 61 00 0001 0001", expected: .reply(1)),
        Case(name: "pointer into header", hex: header + "c002 0001 0001", expected: .reply(1)),
        Case(name: "label length 64", hex: header + "40" + String(repeating: "61", count: 64) + "00 0001 0001",
             expected: .reply(1)),
        Case(name: "reserved label type 0x80", hex: header + "81 61 00 0001 0001", expected: .reply(1)),
        Case(name: "name longer than 255",
             hex: header + String(repeating: "3f" + String(repeating: "62", count: 63), count: 5) + "00 0001 0001",
             expected: .reply(1)),
        Case(name: "name without root label", hex: header + "01 61 04 74657374", expected: .reply(1)),
        Case(name: "question without type and class", hex: header + "01 61 04 74657374 00 00", expected: .reply(1)),
        Case(name: "trailing garbage after question", hex: header + question + "dead", expected: .reply(1)),
        Case(name: "ARCOUNT 1 without record", hex: headerWithOPT + question, expected: .reply(1)),
        Case(name: "truncated OPT fixed part", hex: headerWithOPT + question + "00 0029 04d0 00", expected: .reply(1)),
        Case(name: "OPT RDLENGTH past the end", hex: headerWithOPT + question + "00 0029 04d0 00000000 0008 000a 0004",
             expected: .reply(1)),
        Case(name: "OPT option overruns RDATA", hex: headerWithOPT + question + "00 0029 04d0 00000000 0004 000a 0008",
             expected: .reply(1)),
        Case(name: "two OPT records", hex: "beef 0100 0001 0000 0000 0002" + question + opt + opt, expected: .reply(1)),
        Case(name: "OPT not owned by root", hex: headerWithOPT + question + "01 61 00 0029 04d0 00000000 0000",
             expected: .reply(1)),
        Case(name: "garbage after OPT", hex: headerWithOPT + question + opt + "00", expected: .reply(1)),
        Case(name: "EDNS version 1", hex: headerWithOPT + question + "00 0029 04d0 00 01 0000 0000",
             expected: .reply(16)),
        Case(name: "truncated answer record", hex: "beef 0100 0001 0001 0000 0000" + question + "c00c 0001",
             expected: .reply(1)),
        Case(name: "answer record RDLENGTH past the end",
             hex: "beef 0100 0001 0001 0000 0000" + question + "c00c 0001 0001 00000000 0010 0a000001",
             expected: .reply(1)),
    ]
}
