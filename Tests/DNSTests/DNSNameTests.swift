import XCTest
@testable import DNS

final class DNSNameTests: XCTestCase {
    func testTextRoundTripAndCanonicalForm() throws {
        let cases: [(String, String)] = [
            ("App.INETHI.net", "app.inethi.net"), ("app.inethi.net.", "app.inethi.net"), ("", "."), (".", "."),
            ("x", "x"), ("under_score.d", "under_score.d"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try DNSName(text: text).description, expected, text)
        }
        XCTAssertEqual(try DNSName(text: "A.b"), try DNSName(text: "a.B"))
        XCTAssertEqual(try DNSName(text: "A.b").hashValue, try DNSName(text: "a.B").hashValue)
    }

    func testInvalidText() {
        let long = String(repeating: "a", count: 64)
        let tooLongName = Array(repeating: String(repeating: "b", count: 60), count: 5).joined(separator: ".")
        for text in ["a..b", long + ".d", tooLongName, "sp ace.d", "sl/ash", "tab\t.d", "ü.d"] {
            XCTAssertThrowsError(try DNSName(text: text), text)
        }
    }

    func testSubdomainIsLabelAligned() throws {
        let d = try DNSName(text: "inethi.net")
        let cases: [(String, Bool)] = [
            ("inethi.net", true), ("x.inethi.net", true), ("a.b.inethi.net", true), ("xinethi.net", false),
            ("net", false), ("inethi.net.evil", false),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try DNSName(text: text).isSubdomain(of: d), expected, text)
        }
        XCTAssertTrue(try DNSName(text: "a.b").isSubdomain(of: .root))
    }

    func testParentsShareStorageAndEndAtRoot() throws {
        var name: DNSName? = try DNSName(text: "a.b.c")
        var seen: [String] = []
        while let n = name { seen.append(n.description); name = n.parent }
        XCTAssertEqual(seen, ["a.b.c", "b.c", "c", "."])
    }

    func testWireParseWithCompression() throws {
        // Header (12 zero bytes), then "www.example.com" at 12, then "mail" + pointer to example.com (16).
        var message = [UInt8](repeating: 0, count: 12)
        message += TestMessages.wireName("www.Example.com")
        let second = message.count
        message += [4] + Array("mail".utf8) + [0xC0, 16]
        let (first, end1) = try DNSName.parse(message, at: 12)
        XCTAssertEqual(first.description, "www.example.com")
        XCTAssertEqual(end1, second)
        let (mail, end2) = try DNSName.parse(message, at: second)
        XCTAssertEqual(mail.description, "mail.example.com")
        XCTAssertEqual(end2, message.count)
    }

    func testWireParseErrors() {
        let header = [UInt8](repeating: 0, count: 12)
        let label64 = [64] + [UInt8](repeating: 0x61, count: 64) + [0]
        // 5 labels of 63 = 320 octets > 255.
        var longName: [UInt8] = []
        for _ in 0..<5 { longName += [63] + [UInt8](repeating: 0x62, count: 63) }
        longName.append(0)
        let cases: [(String, [UInt8], DNSWireError)] = [
            ("pointer to itself", header + [0xC0, 12], .badPointer(offset: 12, target: 12)),
            ("forward pointer", header + [0xC0, 14, 1, 0x61, 0], .badPointer(offset: 12, target: 14)),
            ("pointer into header", header + [0xC0, 2], .badPointer(offset: 12, target: 2)),
            ("loop through a label", header + [1, 0x61, 0xC0, 12], .badPointer(offset: 14, target: 12)),
            ("label > 63 (0x40 type)", header + label64, .badLabel(offset: 12)),
            ("0x80 label type", header + [0x80, 0], .badLabel(offset: 12)),
            ("name > 255", header + longName, .nameTooLong(offset: 12)),
            ("truncated label", header + [5, 0x61], .truncated(offset: 12)),
            ("missing root", header + [1, 0x61], .truncated(offset: 14)),
            ("half pointer", header + [0xC0], .truncated(offset: 12)),
        ]
        for (label, message, expected) in cases {
            XCTAssertThrowsError(try DNSName.parse(message, at: 12), label) { error in
                XCTAssertEqual(error as? DNSWireError, expected, label)
            }
            XCTAssertThrowsError(try DNSName.skip(message, at: 12), label) { error in
                XCTAssertEqual(error as? DNSWireError, expected, "skip: \(label)")
            }
        }
    }

    func testPointerChainIsBounded() {
        // 40 pointers each to the previous one: strictly backwards, but more jumps than allowed.
        var message = [UInt8](repeating: 0, count: 12) + [0]
        var previous = 12
        for _ in 0..<40 {
            let here = message.count
            message += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            previous = here
        }
        XCTAssertThrowsError(try DNSName.parse(message, at: previous)) { error in
            XCTAssertEqual(error as? DNSWireError, .tooManyPointers(offset: previous))
        }
        XCTAssertNoThrow(try DNSName.parse(message, at: 12 + 1 + 2 * 10))
    }

    func testReverseNames() {
        XCTAssertEqual(IPAddress("10.0.0.1")!.reverseName.description, "1.0.0.10.in-addr.arpa")
        XCTAssertEqual(IPAddress("2001:db8::1")!.reverseName.description,
                       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        XCTAssertEqual(IPAddress("2001:db8::1")!.description, "2001:db8::1")
        XCTAssertNil(IPAddress("10.0.0"))
        XCTAssertNil(IPAddress("fe80::1%eth0"))
    }
}
