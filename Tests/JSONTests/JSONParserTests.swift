@testable import JSON
import XCTest

final class JSONParserTests: XCTestCase {
    func testValidDocuments() throws {
        let cases: [(json: String, expected: JSONValue)] = [
            ("null", .null),
            ("true", .bool(true)),
            (" false ", .bool(false)),
            ("0", .int(0)),
            ("-0", .int(0)),
            ("42", .int(42)),
            ("-17", .int(-17)),
            ("9223372036854775807", .int(Int64.max)),
            ("-9223372036854775808", .int(Int64.min)),
            ("9223372036854775808", .double(9223372036854775808)),
            ("18446744073709551615", .double(18446744073709551616)),
            ("1.5", .double(1.5)),
            ("-0.25", .double(-0.25)),
            ("1e3", .double(1000)),
            ("1E+2", .double(100)),
            ("2.5e-3", .double(0.0025)),
            (#""""#, .string("")),
            (#""abc""#, .string("abc")),
            (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t")),
            (#""\u0041\u00e9\u4e2D""#, .string("Aé中")),
            (#""\ud83c\udf89""#, .string("🎉")),
            (#""\u0000""#, .string("\u{0}")),
            ("\"grüße 🎉\"", .string("grüße 🎉")),
            ("[]", .array([])),
            ("[ 1 , \"x\" , null ]", .array([.int(1), .string("x"), .null])),
            ("{}", .object([])),
            ("\t\r\n{ \"b\" : 1 , \"a\" : [ true ] }\n", .object([JSONMember("b", .int(1)), JSONMember("a", .array([.bool(true)]))])),
            (#"{"k":1,"k":2}"#, .object([JSONMember("k", .int(1)), JSONMember("k", .int(2))])),
        ]
        for (json, expected) in cases {
            XCTAssertEqual(try JSONParser.parse(json), expected, json)
        }
    }

    func testInvalidDocuments() {
        let cases: [(json: [UInt8], kind: JSONParseError.Kind, offset: Int)] = [
            (Array("".utf8), .unexpectedEnd, 0),
            (Array("   ".utf8), .unexpectedEnd, 3),
            (Array("nul".utf8), .unexpectedEnd, 0),
            (Array("nulx".utf8), .unexpectedByte(UInt8(ascii: "x")), 3),
            (Array("True".utf8), .unexpectedByte(UInt8(ascii: "T")), 0),
            (Array("01".utf8), .trailingData, 1),
            (Array("+1".utf8), .unexpectedByte(UInt8(ascii: "+")), 0),
            (Array(".5".utf8), .unexpectedByte(UInt8(ascii: ".")), 0),
            (Array("1.".utf8), .invalidNumber, 2),
            (Array("1.e3".utf8), .invalidNumber, 2),
            (Array("1e".utf8), .invalidNumber, 2),
            (Array("1e+".utf8), .invalidNumber, 3),
            (Array("-".utf8), .unexpectedEnd, 1),
            (Array("-a".utf8), .invalidNumber, 1),
            (Array("1e400".utf8), .numberOutOfRange, 0),
            (Array("NaN".utf8), .unexpectedByte(UInt8(ascii: "N")), 0),
            (Array("[1,]".utf8), .unexpectedByte(UInt8(ascii: "]")), 3),
            (Array("[1 2]".utf8), .unexpectedByte(UInt8(ascii: "2")), 3),
            (Array("[".utf8), .unexpectedEnd, 1),
            (Array("{\"a\":1,}".utf8), .unexpectedByte(UInt8(ascii: "}")), 7),
            (Array("{\"a\" 1}".utf8), .unexpectedByte(UInt8(ascii: "1")), 5),
            (Array("{a:1}".utf8), .unexpectedByte(UInt8(ascii: "a")), 1),
            (Array("{\"a\":1".utf8), .unexpectedEnd, 6),
            (Array("\"abc".utf8), .unexpectedEnd, 4),
            (Array("\"a\nb\"".utf8), .unescapedControlCharacter(0x0A), 2),
            (Array("\"\\x\"".utf8), .invalidEscape, 1),
            (Array("\"\\u12\"".utf8), .invalidUnicodeEscape, 3),
            (Array("\"\\u12G4\"".utf8), .invalidUnicodeEscape, 5),
            (Array("\"\\ud83c\"".utf8), .loneSurrogate, 1),
            (Array("\"\\ud83c\\u0041\"".utf8), .loneSurrogate, 1),
            (Array("\"\\udf89\"".utf8), .loneSurrogate, 1),
            (Array("{} x".utf8), .trailingData, 3),
            (Array("1 2".utf8), .trailingData, 2),
            (Array("[] ]".utf8), .trailingData, 3),
            (Array("// c\n1".utf8), .unexpectedByte(UInt8(ascii: "/")), 0),
            ([0xEF, 0xBB, 0xBF, 0x31], .unexpectedByte(0xEF), 0),  // a BOM is not JSON text
            // Bad UTF-8 inside strings.
            ([0x22, 0xFF, 0x22], .invalidUTF8, 1),
            ([0x22, 0x80, 0x22], .invalidUTF8, 1),                 // lone continuation byte
            ([0x22, 0xC0, 0xAF, 0x22], .invalidUTF8, 1),           // overlong '/'
            ([0x22, 0xE0, 0x80, 0xAF, 0x22], .invalidUTF8, 1),     // overlong 3-byte
            ([0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, 1),     // encoded surrogate U+D800
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, 1), // above U+10FFFF
            ([0x22, 0xE2, 0x82, 0x22], .invalidUTF8, 1),           // truncated sequence
            ([0x22, 0xE2, 0x82], .invalidUTF8, 1),                 // truncated at end of input
            ([0x22, 0x61, 0xC3], .invalidUTF8, 2),
        ]
        for (json, kind, offset) in cases {
            let shown = String(decoding: json, as: UTF8.self).debugDescription
            XCTAssertThrowsError(try JSONParser.parse(json), shown) { error in
                XCTAssertEqual(error as? JSONParseError, JSONParseError(kind, at: offset), shown)
            }
        }
    }

    func testUnescapedControlCharacterKind() {
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0x61, 0x01, 0x22])) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(.unescapedControlCharacter(0x01), at: 2))
        }
    }

    func testDepthLimit() throws {
        let deepestAllowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        XCTAssertNoThrow(try JSONParser.parse(deepestAllowed))
        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        XCTAssertThrowsError(try JSONParser.parse(tooDeep)) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(.tooDeep(limit: 128), at: 128))
        }
        let hostile = String(repeating: "{\"a\":[", count: 100_000)
        XCTAssertThrowsError(try JSONParser.parse(hostile)) { error in
            XCTAssertEqual((error as? JSONParseError)?.kind, .tooDeep(limit: 128))
        }
        XCTAssertThrowsError(try JSONParser.parse("[[[1]]]", maxDepth: 2))
    }

    func testNeverCrashesOnTruncationsAndMutations() {
        let document = #"{"a":[1,-2.5e3,"x\u00e9\n",true,false,null,{"b":{}}],"c":"🎉"}"#
        let bytes = Array(document.utf8)
        XCTAssertNoThrow(try JSONParser.parse(bytes))
        for cut in 0..<bytes.count {
            _ = try? JSONParser.parse(Array(bytes[0..<cut]))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var mutated = bytes
            let index = Int.random(in: 0..<mutated.count, using: &generator)
            mutated[index] = UInt8.random(in: 0...255, using: &generator)
            _ = try? JSONParser.parse(mutated)
        }
    }

    func testErrorDescriptionNamesOffset() {
        XCTAssertEqual(JSONParseError(.unexpectedByte(UInt8(ascii: "x")), at: 12).description,
                       "JSON error at byte 12: unexpected 'x'")
        XCTAssertEqual(JSONParseError(.invalidUTF8, at: 3).description, "JSON error at byte 3: invalid UTF-8")
        XCTAssertEqual(JSONParseError(.unexpectedByte(0x0A), at: 0).description,
                       "JSON error at byte 0: unexpected byte 0x0A")
    }

    func testWriterParserRoundTrip() throws {
        let value: JSONValue = .object([
            JSONMember("name", .string("quote \" slash \\ ctl \u{01}\u{1F} nl \n é 🎉")),
            JSONMember("ints", .array([.int(0), .int(-1), .int(Int64.max), .int(Int64.min)])),
            JSONMember("doubles", .array([.double(0.5), .double(-1.25e-7), .double(6.02e23)])),
            JSONMember("flags", .array([.bool(true), .bool(false), .null])),
            JSONMember("nested", .object([JSONMember("empty", .object([])), JSONMember("list", .array([]))])),
            JSONMember("", .string("")),
        ])
        var writer = JSONWriter()
        value.write(into: &writer)
        XCTAssertEqual(try JSONParser.parse(writer.bytes), value)
        XCTAssertEqual(try JSONParser.parse(value.jsonText), value)
    }

    func testAccessors() throws {
        let value = try JSONParser.parse(#"{"n":3,"d":2.0,"s":"x","a":[1],"k":1,"k":2}"#)
        XCTAssertEqual(value["n"]?.int64Value, 3)
        XCTAssertEqual(value["d"]?.int64Value, 2)
        XCTAssertEqual(value["n"]?.doubleValue, 3)
        XCTAssertEqual(value["s"]?.stringValue, "x")
        XCTAssertEqual(value["a"]?[0], .int(1))
        XCTAssertNil(value["a"]?[1])
        XCTAssertNil(value["a"]?[-1])
        XCTAssertNil(value["missing"])
        XCTAssertEqual(value["k"], .int(2))
        XCTAssertNil(value["s"]?["x"])
    }
}
