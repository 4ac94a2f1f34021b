import Glibc
import XCTest
@testable import DNS

final class DNSCacheTests: XCTestCase {
    typealias RR = UpstreamResponses.RR

    private func q(_ name: String, _ type: DNSRecordType = .a) -> DNSQuestion { UpstreamResponses.question(name, type) }

    /// TTLs of the cached answer at `now`, or nil on a miss.
    private func cachedTTLs(_ cache: DNSCache, _ question: DNSQuestion, dnssecOK: Bool = false,
                            now: UInt64) throws -> [UInt32]? {
        guard let hit = cache.lookup(question, dnssecOK: dnssecOK, now: now) else { return nil }
        return try UpstreamResponses.ttls(hit.bytes(now: now))
    }

    func testWhatIsCachedAndForHowLong() throws {
        let name = "a.test"
        let soa = RR.soa("test", ttl: 900, minimum: 60)
        // (label, response, minTTL, maxTTL, negTTL, TTLs right after storing or nil = not cached, lifetime)
        let cases: [(String, [UInt8], UInt32, UInt32?, UInt32?, [UInt32]?, UInt64)] = [
            ("positive", UpstreamResponses.response(name, answers: [.a(name, ttl: 300)]), 0, nil, nil, [300], 300),
            ("smallest answer TTL", UpstreamResponses.response(name, answers: [.cname(name, "b.test", ttl: 600),
                                                                               .a("b.test", ttl: 60)]),
             0, nil, nil, [600, 60], 60),
            ("max-cache-ttl", UpstreamResponses.response(name, answers: [.a(name, ttl: 300)]), 0, 100, nil, [100], 100),
            ("min-cache-ttl", UpstreamResponses.response(name, answers: [.a(name, ttl: 30)]), 120, nil, nil, [120], 120),
            ("min wins over max", UpstreamResponses.response(name, answers: [.a(name, ttl: 30)]), 120, 60, nil, [120], 120),
            ("NXDOMAIN: SOA MINIMUM", UpstreamResponses.response(name, rcode: 3, authority: [soa]), 0, nil, nil, [60], 60),
            ("NODATA: SOA TTL", UpstreamResponses.response(name, authority: [.soa("test", ttl: 30, minimum: 300)]),
             0, nil, nil, [30], 30),
            ("NODATA, SOA beats neg-ttl", UpstreamResponses.response(name, authority: [soa]), 0, nil, 5, [60], 60),
            ("NXDOMAIN without SOA", UpstreamResponses.response(name, rcode: 3), 0, nil, nil, nil, 0),
            ("NXDOMAIN without SOA, neg-ttl", UpstreamResponses.response(name, rcode: 3), 0, nil, 20, [], 20),
            ("NXDOMAIN after CNAME", UpstreamResponses.response(name, rcode: 3, answers: [.cname(name, "x.test", ttl: 10)],
                                                                authority: [soa]), 0, nil, nil, [10, 10], 10),
            ("NODATA clamped by max", UpstreamResponses.response(name, authority: [soa]), 0, 40, nil, [40], 40),
            ("SERVFAIL", UpstreamResponses.response(name, rcode: 2, answers: [.a(name)]), 0, nil, 60, nil, 0),
            ("REFUSED", UpstreamResponses.response(name, rcode: 5), 0, nil, 60, nil, 0),
            ("FORMERR", UpstreamResponses.response(name, rcode: 1), 0, nil, 60, nil, 0),
            ("truncated", UpstreamResponses.response(name, flags: 0x8380, answers: [.a(name)]), 0, nil, nil, nil, 0),
            ("TTL 0", UpstreamResponses.response(name, answers: [.a(name, ttl: 0)]), 0, nil, nil, nil, 0),
            ("TTL 0 despite min-cache-ttl", UpstreamResponses.response(name, answers: [.a(name, ttl: 0)]),
             60, nil, nil, nil, 0),
            ("TTL with top bit = 0", UpstreamResponses.response(name, answers: [.a(name, ttl: 0x8000_0001)]),
             0, nil, nil, nil, 0),
            ("SOA TTL 0", UpstreamResponses.response(name, rcode: 3, authority: [.soa("test", ttl: 0, minimum: 60)]),
             0, nil, 60, nil, 0),
            ("neg-ttl 0", UpstreamResponses.response(name, rcode: 3), 0, nil, 0, nil, 0),
            ("a query, not a response", UpstreamResponses.response(name, flags: 0x0100, answers: [.a(name)]),
             0, nil, nil, nil, 0),
            ("other question", UpstreamResponses.response("b.test", answers: [.a("b.test")]), 0, nil, nil, nil, 0),
            ("garbage", [1, 2, 3], 0, nil, 60, nil, 0),
        ]
        for (label, response, minTTL, maxTTL, negTTL, ttls, lifetime) in cases {
            let cache = DNSCache(capacity: 10, minTTL: minTTL, maxTTL: maxTTL, negativeTTL: negTTL)
            cache.store(response, question: q(name), dnssecOK: false, now: 1000)
            XCTAssertEqual(try cachedTTLs(cache, q(name), now: 1000), ttls, label)
            guard ttls != nil else {
                XCTAssertEqual(cache.count, 0, label)
                continue
            }
            XCTAssertNotNil(cache.lookup(q(name), dnssecOK: false, now: 1000 + lifetime - 1), label)
            XCTAssertNil(cache.lookup(q(name), dnssecOK: false, now: 1000 + lifetime), "\(label): expired")
            XCTAssertEqual(cache.count, 0, "\(label): expired entry removed")
        }
    }

    /// Found by the mangling test: the third owner name points at the last byte of the first TTL
    /// (0x2c, read as a label length), so counting that TTL down would corrupt the cached name.
    func testOwnerNamePointingIntoTTLIsNotCached() {
        let response = TestMessages.hex(
            "111181800001000300000001046d616e7904746573740000010001c00c000100010000012c0004c0000200"
                + "c00c000100010000012c0004c0000201c024000100010000012c0004c000020200002904d0000000000000")
        XCTAssertNotNil(try? DNSMessageLayout(parsing: response), "a valid message")
        let cache = DNSCache(capacity: 4, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        cache.store(response, question: q("many.test"), dnssecOK: false, now: 0)
        XCTAssertEqual(cache.count, 0)
    }

    func testStoredFormKeepsRCodeDropsOPTAndLowercasesQuestion() throws {
        let response = UpstreamResponses.response("MiXeD.Test", id: 0x4242, rcode: 3,
                                                  authority: [.soa("test", ttl: 900, minimum: 60)],
                                                  opt: TestMessages.OPT(size: 4096))
        let cache = DNSCache(capacity: 4, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        cache.store(response, question: q("mixed.test"), dnssecOK: false, now: 0)
        let bytes = try XCTUnwrap(cache.lookup(q("mixed.test"), dnssecOK: false, now: 0)).bytes(now: 0)
        let header = try DNSHeader(parsing: bytes)
        XCTAssertEqual(header.rcodeLow, 3)
        XCTAssertEqual(header.authorityCount, 1)
        XCTAssertEqual(header.additionalCount, 0)
        XCTAssertEqual(bytes.count, response.count - EDNS.fixedSize)
        XCTAssertEqual(Array(bytes[12..<24]), TestMessages.wireName("mixed.test"))
    }

    func testTTLCountdown() throws {
        let cache = DNSCache(capacity: 4, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        let response = UpstreamResponses.response("a.test", answers: [.a("a.test", ttl: 300), .a("a.test", ttl: 100)],
                                                  authority: [RR(owner: "test", type: .ns, ttl: 86400,
                                                                 rdata: TestMessages.wireName("ns.test"))],
                                                  additional: [.a("ns.test", ttl: 50)])
        cache.store(response, question: q("a.test"), dnssecOK: false, now: 5000)
        let cases: [(UInt64, [UInt32]?)] = [
            (5000, [300, 100, 86400, 50]),
            (5001, [299, 99, 86399, 49]),
            (5060, [240, 40, 86340, 0]),
            (5099, [201, 1, 86301, 0]),
            (5100, nil),
        ]
        for (now, expected) in cases {
            XCTAssertEqual(try cachedTTLs(cache, q("a.test"), now: now), expected, "t=\(now)")
        }
        // A clock reading before the store never raises a TTL.
        cache.store(response, question: q("a.test"), dnssecOK: false, now: 5000)
        XCTAssertEqual(try cachedTTLs(cache, q("a.test"), now: 4000), [300, 100, 86400, 50])
    }

    func testKeys() throws {
        let cache = DNSCache(capacity: 10, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        cache.store(UpstreamResponses.response("k.test", answers: [.a("k.test", ttl: 100)]),
                    question: q("k.test"), dnssecOK: false, now: 0)
        cache.store(UpstreamResponses.response("k.test", answers: [.a("k.test", ttl: 200)]),
                    question: q("k.test"), dnssecOK: true, now: 0)
        cache.store(UpstreamResponses.response("k.test", type: .aaaa,
                                               answers: [RR(owner: "k.test", type: .aaaa, ttl: 300,
                                                            rdata: [UInt8](repeating: 1, count: 16))]),
                    question: q("k.test", .aaaa), dnssecOK: false, now: 0)
        let cases: [(String, DNSQuestion, Bool, [UInt32]?)] = [
            ("A without DO", q("k.test"), false, [100]),
            ("A with DO", q("k.test"), true, [200]),
            ("upper case query", q("K.TEST"), false, [100]),
            ("AAAA", q("k.test", .aaaa), false, [300]),
            ("AAAA with DO", q("k.test", .aaaa), true, nil),
            ("other class", UpstreamResponses.question("k.test", recordClass: 3), false, nil),
            ("other name", q("kk.test"), false, nil),
            ("parent", q("test"), false, nil),
        ]
        for (label, question, dnssecOK, ttls) in cases {
            XCTAssertEqual(try cachedTTLs(cache, question, dnssecOK: dnssecOK, now: 0), ttls, label)
        }
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(cache.hits, 4)
        XCTAssertEqual(cache.misses, 4)
    }

    func testReplaceLRUEvictionAndFlush() {
        let cache = DNSCache(capacity: 3, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        func store(_ name: String, ttl: UInt32 = 300) {
            cache.store(UpstreamResponses.response(name, answers: [.a(name, ttl: ttl)]), question: q(name),
                        dnssecOK: false, now: 0)
        }
        func ages() -> [String] { cache.keysByAge().map { $0.question.name.description } }
        store("a.test"); store("b.test"); store("c.test")
        XCTAssertEqual(ages(), ["a.test", "b.test", "c.test"])
        XCTAssertNotNil(cache.lookup(q("a.test"), dnssecOK: false, now: 1))
        XCTAssertEqual(ages(), ["b.test", "c.test", "a.test"], "a hit makes a.test the newest")
        store("d.test")
        XCTAssertEqual(ages(), ["c.test", "a.test", "d.test"], "b.test, the oldest, evicted")
        XCTAssertEqual(cache.evictions, 1)
        store("c.test", ttl: 50)
        XCTAssertEqual(ages(), ["a.test", "d.test", "c.test"], "replacing refreshes, no eviction")
        XCTAssertEqual(cache.evictions, 1)
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(cache.insertions, 5)
        XCTAssertNil(cache.lookup(q("c.test"), dnssecOK: false, now: 50), "replacement's TTL applies")
        store("e.test"); store("f.test")
        XCTAssertEqual(ages(), ["d.test", "e.test", "f.test"])
        XCTAssertEqual(cache.evictions, 2, "the expired c.test was removed, not evicted")
        cache.flush()
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(ages(), [])
        XCTAssertNil(cache.lookup(q("d.test"), dnssecOK: false, now: 1))
        store("g.test")
        XCTAssertEqual(ages(), ["g.test"])
    }

    func testDisabled() {
        let cache = DNSCache(capacity: 0, minTTL: 0, maxTTL: nil, negativeTTL: 60)
        cache.store(UpstreamResponses.response("a.test", answers: [.a("a.test")]), question: q("a.test"),
                    dnssecOK: false, now: 0)
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(cache.insertions, 0)
        XCTAssertNil(cache.lookup(q("a.test"), dnssecOK: false, now: 0))
    }

    /// The forwarder's path: a cached answer, counted down, shaped for a new client.
    func testCachedAnswerShapedForClient() throws {
        let cache = DNSCache(capacity: 4, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        let upstream = UpstreamResponses.compressed("www.example.com", count: 2, ttl: 120, opt: EDNS(udpPayloadSize: 4096))
        cache.store(upstream, question: q("www.example.com"), dnssecOK: false, now: 10)
        let query = try UpstreamResponses.query(TestMessages.query("WWW.example.COM", id: 0x0707, opt: TestMessages.OPT(size: 1232)))
        let hit = try XCTUnwrap(cache.lookup(query.question, dnssecOK: false, now: 30))
        let out = try XCTUnwrap(hit.shaped(now: 30, for: query, limit: 1232, advertisedUDPSize: 1232))
        XCTAssertEqual(out, DNSUpstreamAnswer(hit.bytes(now: 30)).shaped(for: query, limit: 1232, advertisedUDPSize: 1232))
        let decoded = try DecodedResponse(out)
        XCTAssertEqual(decoded.header.id, 0x0707)
        XCTAssertEqual(Array(out[12..<29]), TestMessages.wireName("WWW.example.COM"))
        XCTAssertEqual(decoded.answers.map(\.ttl), [100, 100])
        XCTAssertEqual(decoded.addresses, ["192.0.2.0", "192.0.2.1"])
        XCTAssertEqual(decoded.opt?.udpPayloadSize, 1232)
    }

    func testTenThousandEntries() {
        let capacity = 10_000
        let responses = (0..<capacity + 1).map { i in
            UpstreamResponses.response("host\(i).example.net", answers: [.a("host\(i).example.net", ttl: 3600)])
        }
        let questions = (0..<capacity + 1).map { q("host\($0).example.net") }
        let before = residentBytes()
        let cache = DNSCache(capacity: capacity, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        for i in 0..<capacity { cache.store(responses[i], question: questions[i], dnssecOK: false, now: 0) }
        let grown = residentBytes() - before
        XCTAssertLessThan(cache.estimatedMemory, 4 << 20, "estimated heap for 10,000 A answers")
        XCTAssertLessThan(grown, 4 << 20, "resident set growth for 10,000 A answers")
        print("10,000 A answers: estimated \(cache.estimatedMemory) bytes, RSS grew \(grown) bytes")
        XCTAssertEqual(cache.count, capacity)
        for i in 0..<capacity { XCTAssertNotNil(cache.lookup(questions[i], dnssecOK: false, now: 1)) }
        XCTAssertEqual(cache.hits, UInt64(capacity))
        cache.store(responses[capacity], question: questions[capacity], dnssecOK: false, now: 2)
        XCTAssertEqual(cache.evictions, 1)
        XCTAssertNil(cache.lookup(questions[0], dnssecOK: false, now: 2), "the least recently used went")
        XCTAssertNotNil(cache.lookup(questions[capacity], dnssecOK: false, now: 2))
        XCTAssertEqual(cache.count, capacity)
    }

    /// Resident set size: the second field of /proc/self/statm, in pages.
    private func residentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return 0 }
        let fields = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard fields.count >= 2 else { return 0 }
        return fields[1] * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Random stores, lookups and expiries against a simple model: the index and the LRU list
    /// must agree with it after thousands of insertions, evictions and backward-shift deletions.
    func testChurnAgainstModel() {
        let capacity = 37
        let cache = DNSCache(capacity: capacity, minTTL: 0, maxTTL: nil, negativeTTL: nil)
        var model: [(name: String, expires: UInt64)] = []  // oldest first
        var generator = SystemRandomNumberGenerator()
        var now: UInt64 = 0
        for step in 0..<20_000 {
            let name = "n\(Int.random(in: 0..<120, using: &generator)).test"
            if Bool.random(using: &generator) {
                let ttl = UInt32.random(in: 1...50, using: &generator)
                cache.store(UpstreamResponses.response(name, answers: [.a(name, ttl: ttl)]), question: q(name),
                            dnssecOK: false, now: now)
                model.removeAll { $0.name == name }
                if model.count == capacity { model.removeFirst() }
                model.append((name, now + UInt64(ttl)))
            } else {
                let hit = cache.lookup(q(name), dnssecOK: false, now: now)
                if let i = model.firstIndex(where: { $0.name == name }) {
                    let entry = model.remove(at: i)
                    if now < entry.expires { model.append(entry) }
                    XCTAssertEqual(hit != nil, now < entry.expires, "step \(step)")
                } else {
                    XCTAssertNil(hit, "step \(step)")
                }
            }
            if step % 7 == 0 { now += 1 }
            XCTAssertEqual(cache.count, model.count, "step \(step)")
        }
        XCTAssertEqual(cache.keysByAge().map { $0.question.name.description }, model.map(\.name))
    }
}
