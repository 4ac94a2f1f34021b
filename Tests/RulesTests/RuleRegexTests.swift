@testable import Rules
import XCTest

final class RuleRegexTests: XCTestCase {
    func testCompiledRegexMatching() throws {
        let cases: [(String, String, Bool)] = [
            ("^a.c$", "abc", true), ("b", "abc", true), ("^b", "abc", false), ("a$", "a\n", false),
            ("(?m)a$", "a\n", true), ("^$", "", true), ("x", "", false), ("\\d+", "٣", false),
            ("(?i)ABC", "abc", true), ("(?P<n>a)b", "ab", true), ("\\x{e9}", "é", true),
        ]
        for (pattern, subject, expected) in cases {
            let regex = try CompiledRegex(pattern)
            XCTAssertEqual(regex.matches(subject), expected, "\(pattern) on \(subject)")
        }
    }

    func testByteBufferAndInvalidUTF8() throws {
        let regex = try CompiledRegex("^a.b$")
        let bytes: [UInt8] = [0x61, 0xFF, 0x62]
        // An invalid byte is not a character, so `.` cannot match it.
        XCTAssertFalse(bytes.withUnsafeBytes { regex.matches($0) })
        XCTAssertFalse(try CompiledRegex("b$").matches(UnsafeRawBufferPointer(start: nil, count: 0)))
        XCTAssertTrue(bytes.withUnsafeBytes { try! CompiledRegex("b$").matches($0) })
    }

    func testCompileErrors() {
        let cases: [(String, String)] = [
            ("[a-z", "missing terminating ]"), ("(a", "missing closing parenthesis"), ("a**", "quantifier does not follow"),
            ("(a)\\1", "backreferences"), ("a(?=b)", "Perl syntax"), ("\\Z", "invalid escape"),
        ]
        for (pattern, fragment) in cases {
            do {
                _ = try CompiledRegex(pattern)
                XCTFail("\(pattern) compiled")
            } catch {
                XCTAssertTrue(error.message.contains(fragment), "\(pattern): \(error.message)")
            }
        }
    }

    func testPathologicalPatternDoesNotHang() throws {
        let regex = try CompiledRegex("^(a+)+$")
        let subject = String(repeating: "a", count: 40) + "b"
        XCTAssertFalse(regex.matches(subject))  // match limit hit counts as no match
    }
}
