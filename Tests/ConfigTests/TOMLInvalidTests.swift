import XCTest
@testable import Config

/// Documents that must be rejected, with the line of the (first) error and words from its message.
final class TOMLInvalidTests: XCTestCase {
    struct Case {
        var name: String
        var toml: String
        var errorLine: Int
        var mentions: String
        var line: UInt = #line
    }

    static let cases: [Case] = [
        // Syntax
        Case(name: "missing value", toml: "a =", errorLine: 1, mentions: "expected a value"),
        Case(name: "missing equals", toml: "a 1", errorLine: 1, mentions: "expected '='"),
        Case(name: "missing key", toml: "= 1", errorLine: 1, mentions: "expected a key"),
        Case(name: "two statements on a line", toml: "a = 1 b = 2", errorLine: 1, mentions: "end of the line"),
        Case(name: "unquoted string", toml: "a = hello", errorLine: 1, mentions: "strings need quotes"),
        Case(name: "unterminated string", toml: "\na = \"abc\nb = 1", errorLine: 2, mentions: "close the string"),
        Case(name: "unterminated literal", toml: "a = 'abc", errorLine: 1, mentions: "close the literal"),
        Case(name: "unterminated multiline", toml: "a = 1\nb = \"\"\"abc\n", errorLine: 2, mentions: "multi-line string opened here"),
        Case(name: "bad escape", toml: #"a = "\q""#, errorLine: 1, mentions: "invalid escape"),
        Case(name: "short unicode escape", toml: #"a = "\u12""#, errorLine: 1, mentions: "4 hex digits"),
        Case(name: "surrogate escape", toml: #"a = "\uD800""#, errorLine: 1, mentions: "not a Unicode scalar"),
        Case(name: "control char in string", toml: "a = \"x\u{01}\"", errorLine: 1, mentions: "control character"),
        Case(name: "six quotes closing", toml: "a = \"\"\"x\"\"\"\"\"\"", errorLine: 1, mentions: "at most five"),
        Case(name: "multiline key", toml: "\"\"\"a\"\"\" = 1", errorLine: 1, mentions: "cannot be keys"),
        Case(name: "bare CR", toml: "a = 1\r b = 2", errorLine: 1, mentions: "carriage return"),
        Case(name: "unclosed header", toml: "[a\nb = 1", errorLine: 1, mentions: "expected ']'"),
        Case(name: "empty header", toml: "[]", errorLine: 1, mentions: "expected a key"),
        Case(name: "trailing dot header", toml: "[a.]", errorLine: 1, mentions: "expected a key"),
        Case(name: "array header closed singly", toml: "[[a]\n", errorLine: 1, mentions: "expected ']]'"),
        Case(name: "inline trailing comma", toml: "a = {b = 1,}", errorLine: 1, mentions: "cannot end with a comma"),
        Case(name: "inline table over lines", toml: "a = {b = 1,\nc = 2}", errorLine: 1, mentions: "one line"),
        Case(name: "array missing comma", toml: "a = [1 2]", errorLine: 1, mentions: "expected ',' or ']'"),
        Case(name: "array unclosed at end", toml: "a = [1,\n2", errorLine: 1, mentions: "expected ']' to close the array"),
        // Numbers and dates
        Case(name: "leading zero", toml: "a = 012", errorLine: 1, mentions: "leading zeros"),
        Case(name: "leading zero float", toml: "a = 03.14", errorLine: 1, mentions: "leading zeros"),
        Case(name: "double underscore", toml: "a = 1__2", errorLine: 1, mentions: "underscore"),
        Case(name: "trailing underscore", toml: "a = 1_", errorLine: 1, mentions: "underscore"),
        Case(name: "underscore after prefix", toml: "a = 0x_1", errorLine: 1, mentions: "underscore"),
        Case(name: "signed hex", toml: "a = +0x1", errorLine: 1, mentions: "sign is not allowed"),
        Case(name: "bad hex digit", toml: "a = 0xG", errorLine: 1, mentions: "base-16"),
        Case(name: "uppercase prefix", toml: "a = 0X1", errorLine: 1, mentions: "lowercase"),
        Case(name: "overflow", toml: "a = 9223372036854775808", errorLine: 1, mentions: "64 bits"),
        Case(name: "hex overflow", toml: "a = 0x8000000000000000", errorLine: 1, mentions: "64 bits"),
        Case(name: "float without fraction digits", toml: "a = 1.", errorLine: 1, mentions: "expected a float"),
        Case(name: "float without integer part", toml: "a = .5", errorLine: 1, mentions: "expected a value"),
        Case(name: "float exponent without digits", toml: "a = 1e", errorLine: 1, mentions: "expected a float"),
        Case(name: "float dot before exponent", toml: "a = 1.e5", errorLine: 1, mentions: "expected a float"),
        Case(name: "bad month", toml: "a = 1979-13-01", errorLine: 1, mentions: "does not exist"),
        Case(name: "bad day", toml: "a = 2023-02-29", errorLine: 1, mentions: "does not exist"),
        Case(name: "bad hour", toml: "a = 24:00:00", errorLine: 1, mentions: "out of range"),
        Case(name: "time without seconds", toml: "a = 07:32", errorLine: 1, mentions: "date-time"),
        Case(name: "offset on local time", toml: "a = 07:32:00Z", errorLine: 1, mentions: "date-time"),
        Case(name: "bad boolean", toml: "a = True", errorLine: 1, mentions: "not true, false"),
        // Redefinitions (TOML 1.0 define-once rules)
        Case(name: "duplicate key", toml: "a = 1\na = 2", errorLine: 2, mentions: "key 'a' is already defined at line 1"),
        Case(name: "duplicate key via dotted", toml: "a.b = 1\na.b = 2", errorLine: 2, mentions: "already defined at line 1"),
        Case(name: "value then dotted", toml: "a = 1\na.b = 2", errorLine: 2, mentions: "not a table"),
        Case(name: "duplicate table", toml: "[a]\n[a]", errorLine: 2, mentions: "table [a] is already defined"),
        Case(name: "implicit table defined twice", toml: "[a.b]\n[a]\n[a]", errorLine: 3, mentions: "already defined"),
        Case(name: "header over dotted table", toml: "[f]\napple.color = 1\n[f.apple]", errorLine: 3, mentions: "by dotted keys"),
        Case(name: "dotted into header table", toml: "[a.b]\nz = 1\n[a]\nb.y = 2", errorLine: 4, mentions: "dotted keys cannot add"),
        Case(name: "dotted into implicit table", toml: "[a.b.c]\n[a]\nb.c.t = 1", errorLine: 3, mentions: "dotted keys cannot add"),
        Case(name: "inline table extended by header", toml: "a = {b = 1}\n[a]", errorLine: 2, mentions: "inline table"),
        Case(name: "inline table extended by dotted key", toml: "a = {b = 1}\na.c = 2", errorLine: 2, mentions: "inline table"),
        Case(name: "inline table extended by sub-header", toml: "a = {b = 1}\n[a.c]", errorLine: 2, mentions: "inline table"),
        Case(name: "duplicate key inside inline", toml: "a = {b = 1, b = 2}", errorLine: 1, mentions: "already defined"),
        Case(name: "static array appended", toml: "a = []\n[[a]]", errorLine: 2, mentions: "static array"),
        Case(name: "table over array of tables", toml: "[[a]]\n[a]", errorLine: 2, mentions: "expected [[a]]"),
        Case(name: "array of tables over table", toml: "[a]\n[[a]]", errorLine: 2, mentions: "already defined"),
        Case(name: "header through a value", toml: "a = 1\n[a.b]", errorLine: 2, mentions: "not a table"),
        Case(name: "key too long", toml: "[" + Array(repeating: "k", count: 100).joined(separator: ".") + "]", errorLine: 1, mentions: "at most 64 parts"),
        Case(name: "nesting too deep", toml: "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100), errorLine: 1, mentions: "nested more than"),
    ]

    func testInvalidDocuments() {
        for testCase in Self.cases {
            let (_, errors) = TOMLParser.parse(testCase.toml, file: "t.toml")
            guard let first = errors.first else {
                XCTFail("\(testCase.name): expected an error", line: testCase.line)
                continue
            }
            XCTAssertEqual(first.location?.line, testCase.errorLine, "\(testCase.name): \(first)", line: testCase.line)
            XCTAssertTrue(first.message.contains(testCase.mentions), "\(testCase.name): \(first)", line: testCase.line)
            XCTAssertTrue(first.description.hasPrefix("t.toml:\(testCase.errorLine):"), "\(testCase.name): \(first)", line: testCase.line)
        }
    }
}
