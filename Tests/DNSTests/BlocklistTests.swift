import XCTest
@testable import DNS

final class BlocklistTests: XCTestCase {
    /// Builds a list from (text, allowlist) files, fed in chunks of `chunk` bytes and finished in steps of
    /// `budget` units (small values exercise the resumable sort and the line carry-over).
    func build(_ files: [(String, Bool)], chunk: Int = 7, budget: Int = 3) -> (Blocklist, BlocklistBuilder) {
        let builder = BlocklistBuilder()
        for (index, (text, allow)) in files.enumerated() {
            builder.beginFile("list\(index)", allowlist: allow)
            let bytes = Array(text.utf8)
            var at = 0
            while at < bytes.count {
                let end = min(at + chunk, bytes.count)
                bytes[at..<end].withUnsafeBytes { builder.feed($0) }
                at = end
            }
        }
        builder.endFile()
        var steps = 0
        while true {
            steps += 1
            XCTAssertLessThan(steps, 1_000_000)
            if let list = builder.step(budget: budget) { return (list, builder) }
        }
    }

    func blocked(_ list: Blocklist, _ name: String) throws -> Bool { list.blocks(try DNSName(text: name)) }

    func testLineForms() {
        let cases: [(String, String)] = [
            ("0.0.0.0 ads.example.com", "names:ads.example.com"),
            ("127.0.0.1\tads.example.com tracker.example.net # comment", "names:ads.example.com,tracker.example.net"),
            ("::1 localhost ip6-localhost", "comment"),
            ("ads.example.com", "names:ads.example.com"),
            ("  ads.example.com  \r", "names:ads.example.com"),
            ("||example.org^", "domain:example.org"),
            ("||example.org^|", "domain:example.org"),
            ("@@||good.example.org^", "except:good.example.org"),
            ("||example.org^$important", "unsupported"),
            ("||*.example.org^", "unsupported"),
            ("/ads[0-9]+/", "names:/ads[0-9]+/"),  // one field: a name; rejected later as not a domain name
            ("! AdGuard comment", "comment"),
            ("# hosts comment", "comment"),
            ("[Adblock Plus 2.0]", "comment"),
            ("", "comment"),
            ("0.0.0.0", "unsupported"),
            ("example.com other.com", "unsupported"),
        ]
        for (line, expected) in cases {
            let bytes = Array(line.utf8)
            let got: String = bytes.withUnsafeBytes { raw in
                func text(_ r: Range<Int>) -> String { String(decoding: raw[r], as: UTF8.self) }
                switch BlocklistLine.parse(raw) {
                case .names(let rs): return "names:" + rs.map(text).joined(separator: ",")
                case .domain(let r): return "domain:" + text(r)
                case .exceptDomain(let r): return "except:" + text(r)
                case .comment: return "comment"
                case .unsupported: return "unsupported"
                }
            }
            XCTAssertEqual(got, expected, line)
        }
    }

    func testReversedKey() throws {
        let name = try DNSName(text: "Ads.Example.COM")
        let key = withUnsafeTemporaryAllocation(byteCount: 256, alignment: 1) { buffer in
            Array(buffer[0..<name.writeReversedKey(into: buffer)])
        }
        XCTAssertEqual(key, [3] + Array("com".utf8) + [7] + Array("example".utf8) + [3] + Array("ads".utf8))
    }

    func testExactAndSubdomainMatching() throws {
        let (list, builder) = build([("""
            # a hosts list
            127.0.0.1 localhost
            0.0.0.0 ads.example.com
            0.0.0.0 ADS.example.com
            tracker.example.net.
            ||adnetwork.test^
            ||allowed-below.test^
            ||bad$third-party
            not a line at all
            """, false), ("""
            ok.allowed-below.test
            @@||fine.adnetwork.test^
            """, true)])
        XCTAssertEqual(list.names.count, 2)  // ads.example.com once, tracker.example.net
        XCTAssertEqual(list.domains.count, 2)
        XCTAssertEqual(builder.skippedLines, 2)
        XCTAssertEqual(builder.problems.map(\.line), [8, 9])
        XCTAssertTrue(try blocked(list, "ads.example.com"))
        XCTAssertTrue(try blocked(list, "ADS.EXAMPLE.COM"))
        XCTAssertFalse(try blocked(list, "x.ads.example.com"), "hosts lines block the exact name only")
        XCTAssertFalse(try blocked(list, "example.com"))
        XCTAssertTrue(try blocked(list, "tracker.example.net"))
        XCTAssertFalse(try blocked(list, "localhost"))
        XCTAssertTrue(try blocked(list, "adnetwork.test"))
        XCTAssertTrue(try blocked(list, "a.b.adnetwork.test"))
        XCTAssertFalse(try blocked(list, "xadnetwork.test"), "label boundaries")
        XCTAssertFalse(try blocked(list, "fine.adnetwork.test"), "@@ exception wins")
        XCTAssertFalse(try blocked(list, "deep.fine.adnetwork.test"))
        XCTAssertTrue(try blocked(list, "sub.allowed-below.test"))
        XCTAssertFalse(try blocked(list, "ok.allowed-below.test"), "allowlist wins")
        XCTAssertFalse(try blocked(list, "test"))
        XCTAssertFalse(list.blocks(.root))
    }

    /// Many names, built in tiny steps: every one is found, near misses are not, whatever the order given.
    func testManyNamesAgainstASet() throws {
        var names: [String] = []
        var generator = SystemRandomNumberGenerator()
        for i in 0..<3000 {
            let tld = ["com", "net", "org", "io"][i % 4]
            names.append("h\(UInt32.random(in: 0...999_999, using: &generator))-\(i).ads\(i % 37).example.\(tld)")
        }
        let text = names.shuffled().map { i in i.hasPrefix("h1") ? "0.0.0.0 \(i)" : i }.joined(separator: "\n")
        let (list, _) = build([(text + "\n" + names.prefix(100).joined(separator: "\n"), false)], chunk: 4093, budget: 977)
        XCTAssertEqual(list.names.count, Set(names).count)
        for name in names {
            XCTAssertTrue(try blocked(list, name), name)
            XCTAssertFalse(try blocked(list, "x" + name))
            XCTAssertFalse(try blocked(list, "a." + name))
        }
        XCTAssertLessThan(list.memoryBytes, names.reduce(0) { $0 + $1.utf8.count + 2 })
    }

    func testEmptyAndCommentOnlyLists() throws {
        let (list, _) = build([("# nothing\n\n", false)])
        XCTAssertTrue(list.isEmpty)
        XCTAssertFalse(try blocked(list, "example.com"))
    }

    func testBlockedAnswers() throws {
        let responder = DNSResponder(zone: try LocalZone(settings: DNSSettings(), hostsFiles: []))
        func answer(_ type: DNSRecordType, _ mode: DNSSettings.BlockMode, opt: TestMessages.OPT? = nil) throws -> DecodedResponse {
            guard case .success(let query) = DNSQuery.parse(TestMessages.query("ads.example.com", type: type, opt: opt)) else {
                throw XCTSkip("query did not parse")
            }
            return try DecodedResponse(responder.blockedAnswer(to: query, transport: .udp, mode: mode, ttl: 2))
        }
        let a = try answer(.a, .null, opt: TestMessages.OPT())
        XCTAssertEqual(a.rcode, .noError)
        XCTAssertTrue(a.header.isAuthoritative)
        XCTAssertTrue(a.header.recursionAvailable)
        XCTAssertEqual(a.extendedError, 15)
        XCTAssertEqual(a.answers.filter { $0.type == .a }.map(\.data), ["0.0.0.0"])
        XCTAssertEqual(a.answers.filter { $0.type == .a }.map(\.ttl), [2])
        XCTAssertEqual(try answer(.aaaa, .null).answers.map(\.data), ["::"])
        XCTAssertEqual(try answer(.any, .null).answers.map(\.data), ["0.0.0.0", "::"])
        let mx = try answer(.mx, .null)
        XCTAssertEqual(mx.rcode, .noError)
        XCTAssertFalse(mx.header.isAuthoritative)
        XCTAssertTrue(mx.answers.isEmpty)
        let nx = try answer(.a, .nxdomain)
        XCTAssertEqual(nx.rcode, .nameError)
        XCTAssertFalse(nx.header.isAuthoritative)
        XCTAssertTrue(nx.answers.isEmpty)
    }
}
