@testable import JSON
import XCTest

final class JSONWriterTests: XCTestCase {
    private func text(_ build: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        build(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    func testStringEscaping() {
        let cases: [(input: String, expected: String)] = [
            ("", #""""#),
            ("plain", #""plain""#),
            ("say \"hi\"", #""say \"hi\"""#),
            ("back\\slash", #""back\\slash""#),
            ("a/b", #""a/b""#),
            ("line\nfeed\r\ttab", #""line\nfeed\r\ttab""#),
            ("\u{08}\u{0C}", #""\b\f""#),
            ("\u{00}\u{01}\u{1F}", #""\u0000\u0001\u001f""#),
            ("\u{7F}", "\"\u{7F}\""),
            ("grüße 日本 🎉", "\"grüße 日本 🎉\""),
            ("\u{2028}", "\"\u{2028}\""),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(text { $0.string(input) }, expected, "input \(input.debugDescription)")
        }
    }

    func testNumbersAndLiterals() {
        let cases: [(build: (inout JSONWriter) -> Void, expected: String)] = [
            ({ $0.int(0) }, "0"),
            ({ $0.int(7) }, "7"),
            ({ $0.int(-42) }, "-42"),
            ({ $0.int(Int.max) }, "9223372036854775807"),
            ({ $0.int(Int.min) }, "-9223372036854775808"),
            ({ $0.uint64(UInt64.max) }, "18446744073709551615"),
            ({ $0.int64(-1) }, "-1"),
            ({ $0.double(3) }, "3"),
            ({ $0.double(-2) }, "-2"),
            ({ $0.double(0.25) }, "0.25"),
            ({ $0.double(1e-5) }, "1e-05"),
            ({ $0.double(5e20) }, "5e+20"),
            ({ $0.double(.nan) }, "null"),
            ({ $0.double(.infinity) }, "null"),
            ({ $0.double(-.infinity) }, "null"),
            ({ $0.bool(true) }, "true"),
            ({ $0.bool(false) }, "false"),
            ({ $0.null() }, "null"),
        ]
        for (index, testCase) in cases.enumerated() {
            XCTAssertEqual(text(testCase.build), testCase.expected, "case \(index)")
        }
    }

    func testDoublesAreValidJSONAndRoundTrip() throws {
        for value in [0.1, -0.5, 1.0 / 3.0, 123456.789, 1e300, -2.5e-300, Double.leastNonzeroMagnitude, 1e15, 1e16] {
            let json = text { $0.double(value) }
            let parsed = try JSONParser.parse(json)
            XCTAssertEqual(parsed.doubleValue, value, json)
        }
    }

    func testCommasInNestedContainers() {
        let json = text { w in
            w.beginObject()
            w.field("a", 1)
            w.key("b")
            w.beginArray()
            w.int(1)
            w.beginObject()
            w.endObject()
            w.beginArray()
            w.endArray()
            w.string("x")
            w.endArray()
            w.key("c")
            w.beginObject()
            w.field("d", true)
            w.field("e", nil as String?)
            w.endObject()
            w.field("f", 2.5)
            w.endObject()
        }
        XCTAssertEqual(json, #"{"a":1,"b":[1,{},[],"x"],"c":{"d":true,"e":null},"f":2.5}"#)
    }

    func testRawAndNewlineAtTopLevel() {
        let json = text { w in
            w.raw(#"{"x":1}"#)
            w.raw("\n")
            w.beginObject()
            w.key("k")
            w.raw("[1,2]")
            w.field("after", 3)
            w.endObject()
            w.newline()
        }
        XCTAssertEqual(json, "{\"x\":1}\n{\"k\":[1,2],\"after\":3}\n")
    }

    func testChunkedOutputKeepsCommaState() {
        var writer = JSONWriter(reservingCapacity: 16)
        var collected: [UInt8] = []
        writer.beginObject()
        writer.key("conns")
        writer.beginArray()
        for id in 0..<1000 {
            writer.beginObject()
            writer.field("id", id)
            writer.endObject()
            if id % 100 == 99 {
                collected += writer.takeBytes()
            }
        }
        writer.endArray()
        writer.endObject()
        writer.newline()
        collected += writer.bytes
        writer.clearBuffer()
        XCTAssertTrue(writer.bytes.isEmpty)
        let parsed = try? JSONParser.parse(collected)
        XCTAssertEqual(parsed?["conns"]?.arrayValue?.count, 1000)
        XCTAssertEqual(parsed?["conns"]?[999]?["id"], .int(999))
    }

    func testTenThousandConnsIsQuick() {
        measure {
            var writer = JSONWriter(reservingCapacity: 64 * 1024)
            var total = 0
            writer.beginObject()
            writer.key("conns")
            writer.beginArray()
            for id in 0..<10_000 {
                writer.beginObject()
                writer.field("id", id)
                writer.field("kind", "http")
                writer.field("local", "192.168.1.10:443")
                writer.field("peer", "10.0.0.7:51234")
                writer.field("state", "forwarding")
                writer.field("bytes_in", UInt64(id) * 1000)
                writer.field("bytes_out", UInt64(id) * 3000)
                writer.field("age_s", 12.5)
                writer.endObject()
                if writer.bytes.count > 60_000 {
                    total += writer.bytes.count
                    writer.clearBuffer()
                }
            }
            writer.endArray()
            writer.endObject()
            total += writer.bytes.count
            XCTAssertGreaterThan(total, 1_000_000)
        }
    }
}
