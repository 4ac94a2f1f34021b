import XCTest
@testable import DNS

final class DNSUpstreamAnswerTests: XCTestCase {
    typealias RR = UpstreamResponses.RR
    let question = UpstreamResponses.question("www.example.com")

    func testMatches() {
        let good = UpstreamResponses.response("www.example.com", id: 0x1234, answers: [.a("www.example.com")])
        var qdZero = good; qdZero[5] = 0
        var qdTwo = good; qdTwo[5] = 2
        let cases: [(String, [UInt8], Bool)] = [
            ("answer", good, true),
            ("name in other case", UpstreamResponses.response("WWW.Example.COM", id: 0x1234), true),
            ("wrong ID", UpstreamResponses.response("www.example.com", id: 0x1235), false),
            ("QR=0", UpstreamResponses.response("www.example.com", id: 0x1234, flags: 0x0100), false),
            ("other name", UpstreamResponses.response("ww.example.com", id: 0x1234), false),
            ("other type", UpstreamResponses.response("www.example.com", type: .aaaa, id: 0x1234), false),
            ("other class", UpstreamResponses.response("www.example.com", id: 0x1234, recordClass: 3), false),
            ("QDCOUNT 0", qdZero, false),
            ("QDCOUNT 2", qdTwo, false),
            ("empty", [], false),
            ("header only", Array(good[0..<12]), false),
            ("question cut", Array(good[0..<20]), false),
            ("garbage", [0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1], false),
        ]
        for (label, bytes, expected) in cases {
            XCTAssertEqual(DNSUpstreamAnswer(bytes).matches(queryID: 0x1234, question: question), expected, label)
        }
    }

    func testRCodeAndTruncation() {
        let badvers = UpstreamResponses.response("x.test", opt: TestMessages.OPT(size: 1232))
        var extended = badvers
        extended[extended.count - 6] = 1  // OPT extended RCODE byte: 1 << 4 | 0 = BADVERS (16)
        let cases: [(String, [UInt8], DNSResponseCode?, Bool)] = [
            ("noerror", UpstreamResponses.response("x.test"), .noError, false),
            ("nxdomain", UpstreamResponses.response("x.test", rcode: 3), .nameError, false),
            ("servfail", UpstreamResponses.response("x.test", rcode: 2), .serverFailure, false),
            ("truncated", UpstreamResponses.response("x.test", flags: 0x8380), .noError, true),
            ("extended via OPT", extended, .badVersion, false),
            ("unparseable body: header bits", [0, 0, 0x82, 0x05, 0, 1] + [UInt8](repeating: 0, count: 6), .refused, true),
            ("short", [0, 0, 0x80], nil, false),
        ]
        for (label, bytes, rcode, tc) in cases {
            XCTAssertEqual(DNSUpstreamAnswer(bytes).rcode, rcode, label)
            XCTAssertEqual(DNSUpstreamAnswer(bytes).isTruncated, tc, label)
        }
    }

    func testShapeSetsIDCaseAndFlags() throws {
        let query = try UpstreamResponses.query(TestMessages.query("WwW.ExAmPlE.CoM", id: 0xBEEF, flags: 0x0010))
        let upstream = UpstreamResponses.compressed("www.example.com", count: 2)  // AA clear, RD set by writer flags
        var authoritative = upstream
        authoritative[2] |= 0x04  // AA=1 upstream must not reach the client
        let out = try XCTUnwrap(DNSUpstreamAnswer(authoritative).shaped(for: query, limit: 512, advertisedUDPSize: 1232))
        let decoded = try DecodedResponse(out)
        XCTAssertEqual(decoded.header.id, 0xBEEF)
        XCTAssertTrue(decoded.header.isResponse)
        XCTAssertFalse(decoded.header.isAuthoritative)
        XCTAssertFalse(decoded.header.recursionDesired, "RD copied from the query (0)")
        XCTAssertTrue(decoded.header.checkingDisabled, "CD copied from the query")
        XCTAssertTrue(decoded.header.recursionAvailable)
        XCTAssertEqual(Array(out[12..<(12 + 17)]), TestMessages.wireName("WwW.ExAmPlE.CoM"), "client's case")
        XCTAssertEqual(decoded.addresses, ["192.0.2.0", "192.0.2.1"])
        XCTAssertNil(decoded.opt)
        XCTAssertEqual(out.count, upstream.count)
    }

    func testShapeOPTHandling() throws {
        let plain = TestMessages.query("a.test")
        let withOPT = TestMessages.query("a.test", opt: TestMessages.OPT(size: 4096))
        let withDO = TestMessages.query("a.test", opt: TestMessages.OPT(size: 512, dnssecOK: true))
        let upstreamOPT = UpstreamResponses.response("a.test", answers: [.a("a.test")],
                                                     opt: TestMessages.OPT(size: 4096, dnssecOK: true))
        let upstreamPlain = UpstreamResponses.response("a.test", answers: [.a("a.test")])
        // (label, query, upstream, expected OPT: nil or (size, DO))
        let cases: [(String, [UInt8], [UInt8], (UInt16, Bool)?)] = [
            ("upstream OPT replaced", withOPT, upstreamOPT, (1400, false)),
            ("upstream OPT removed", plain, upstreamOPT, nil),
            ("OPT added", withOPT, upstreamPlain, (1400, false)),
            ("DO copied from client", withDO, upstreamPlain, (1400, true)),
            ("neither", plain, upstreamPlain, nil),
        ]
        for (label, queryBytes, upstream, expected) in cases {
            let query = try UpstreamResponses.query(queryBytes)
            let out = try XCTUnwrap(DNSUpstreamAnswer(upstream).shaped(for: query, limit: 4096, advertisedUDPSize: 1400), label)
            let decoded = try DecodedResponse(out)
            XCTAssertEqual(decoded.addresses, ["192.0.2.1"], label)
            XCTAssertEqual(decoded.header.additionalCount, expected == nil ? 0 : 1, label)
            XCTAssertEqual(decoded.opt?.udpPayloadSize, expected?.0, label)
            XCTAssertEqual(decoded.opt?.dnssecOK, expected?.1, label)
        }
    }

    func testShapeDropsRecordsAfterMisplacedOPT() throws {
        let upstream = UpstreamResponses.response("a.test", answers: [.a("a.test")],
                                                  additional: [.a("ns1.a.test"), .a("ns2.a.test")],
                                                  opt: TestMessages.OPT(), optAt: 1)
        let out = try XCTUnwrap(DNSUpstreamAnswer(upstream).shaped(for: try UpstreamResponses.query(TestMessages.query("a.test")),
                                                        limit: 512, advertisedUDPSize: 1232))
        XCTAssertEqual(try DNSHeader(parsing: out).additionalCount, 1)
        XCTAssertEqual(try UpstreamResponses.ttls(out).count, 2)
        XCTAssertEqual(out.count, upstream.count - 11 - RR.a("ns2.a.test").bytes.count)
    }

    func testShapeTruncation() throws {
        let big = UpstreamResponses.compressed("many.test", count: 40)  // 12 + 15 + 40 * 16 = 667 bytes
        let glue = UpstreamResponses.response("g.test", answers: [.a("g.test")],
                                              additional: (0..<40).map { RR.a("ns\($0).g.test") })
        let plain = try UpstreamResponses.query(TestMessages.query("many.test"))
        let edns = try UpstreamResponses.query(TestMessages.query("many.test", opt: TestMessages.OPT()))
        let glueQuery = try UpstreamResponses.query(TestMessages.query("g.test"))
        let glueDO = try UpstreamResponses.query(TestMessages.query("g.test", opt: TestMessages.OPT(dnssecOK: true)))
        // (label, upstream, query, limit, TC, answers, additional, size)
        let cases: [(String, [UInt8], DNSQuery, Int, Bool, UInt16, UInt16, Int)] = [
            ("fits over TCP", big, plain, 65535, false, 40, 0, 667),
            ("UDP 512: header + question", big, plain, 512, true, 0, 0, 12 + 15),
            ("UDP 512 with OPT", big, edns, 512, true, 0, 1, 12 + 15 + 11),
            ("exactly fits", big, plain, 667, false, 40, 0, 667),
            ("one byte short", big, plain, 666, true, 0, 0, 27),
            ("glue dropped, no TC", glue, glueQuery, 512, false, 1, 0, 12 + 12 + 22),
            ("glue with DO: TC", glue, glueDO, 512, true, 0, 1, 12 + 12 + 11),
        ]
        for (label, upstream, query, limit, tc, answers, additional, size) in cases {
            let out = try XCTUnwrap(DNSUpstreamAnswer(upstream).shaped(for: query, limit: limit, advertisedUDPSize: 1232), label)
            let header = try DNSHeader(parsing: out)
            XCTAssertEqual(header.isTruncated, tc, label)
            XCTAssertEqual(header.answerCount, answers, label)
            XCTAssertEqual(header.authorityCount, 0, label)
            XCTAssertEqual(header.additionalCount, additional, label)
            XCTAssertEqual(out.count, size, label)
            XCTAssertLessThanOrEqual(out.count, limit, label)
            XCTAssertNoThrow(try DecodedResponse(out), label)
        }
    }

    func testShapeExtendedRCode() throws {
        var upstream = UpstreamResponses.response("a.test", opt: TestMessages.OPT())
        upstream[upstream.count - 6] = 1  // BADVERS
        let cases: [(String, [UInt8], DNSResponseCode)] = [
            ("client with EDNS gets BADVERS", TestMessages.query("a.test", opt: TestMessages.OPT()), .badVersion),
            ("client without EDNS gets SERVFAIL", TestMessages.query("a.test"), .serverFailure),
        ]
        for (label, queryBytes, rcode) in cases {
            let out = try XCTUnwrap(DNSUpstreamAnswer(upstream).shaped(for: try UpstreamResponses.query(queryBytes),
                                                            limit: 512, advertisedUDPSize: 1232), label)
            XCTAssertEqual(try DecodedResponse(out).rcode, rcode, label)
        }
    }

    func testShapeRejectsUnparseable() throws {
        let query = try UpstreamResponses.query(TestMessages.query("a.test"))
        let good = UpstreamResponses.response("a.test", answers: [.a("a.test")])
        var countTooHigh = good; countTooHigh[7] = 2
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("header only", Array(good[0..<12])),
            ("record cut", Array(good.dropLast(1))),
            ("announced record missing", countTooHigh),
            ("other question", UpstreamResponses.response("b.test", answers: [.a("b.test")])),
            ("two OPT", UpstreamResponses.response("a.test", additional: [RR(owner: "", type: .opt, ttl: 0, rdata: [])],
                                                   opt: TestMessages.OPT())),
        ]
        for (label, bytes) in cases {
            XCTAssertNil(DNSUpstreamAnswer(bytes).shaped(for: query, limit: 512, advertisedUDPSize: 1232), label)
        }
    }

    /// Every prefix and many single-byte corruptions of real answers: never a crash, and any
    /// shaped result is itself a well-formed message within the limit.
    func testMangledAnswersNeverCrash() throws {
        let query = try UpstreamResponses.query(TestMessages.query("many.test", opt: TestMessages.OPT()))
        let question = query.question
        let cache = DNSCache(capacity: 8, minTTL: 0, maxTTL: nil, negativeTTL: 10)
        let seeds = [
            UpstreamResponses.compressed("many.test", count: 3, opt: EDNS()),
            UpstreamResponses.response("many.test", rcode: 3, authority: [.soa("test", ttl: 60, minimum: 30)],
                                       opt: TestMessages.OPT()),
        ]
        var generator = SystemRandomNumberGenerator()
        for seed in seeds {
            var variants = (0...seed.count).map { Array(seed[0..<$0]) }
            for _ in 0..<2000 {
                var v = seed
                v[Int.random(in: 0..<v.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                variants.append(v)
            }
            for v in variants {
                _ = DNSUpstreamAnswer(v).matches(queryID: 0x1111, question: question)
                _ = DNSUpstreamAnswer(v).rcode
                if let out = DNSUpstreamAnswer(v).shaped(for: query, limit: 512, advertisedUDPSize: 1232) {
                    XCTAssertLessThanOrEqual(out.count, 512)
                    XCTAssertNoThrow(try DNSMessageLayout(parsing: out))
                }
                cache.store(v, question: question, dnssecOK: false, now: 0)
                if let hit = cache.lookup(question, dnssecOK: false, now: 1) {
                    // The cached copy is shaped without a walk: byte for byte what walking it gives.
                    let walked = DNSUpstreamAnswer(hit.bytes(now: 2)).shaped(for: query, limit: 512, advertisedUDPSize: 1232)
                    XCTAssertNotNil(walked, "\(TestMessages.hexString(v)) -> \(TestMessages.hexString(hit.bytes(now: 2)))")
                    XCTAssertEqual(hit.shaped(now: 2, for: query, limit: 512, advertisedUDPSize: 1232), walked,
                                   TestMessages.hexString(v))
                }
            }
        }
    }
}
