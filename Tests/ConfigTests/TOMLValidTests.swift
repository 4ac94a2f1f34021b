import XCTest
@testable import Config

/// Documents that must parse without errors, and the tree they must produce.
final class TOMLValidTests: XCTestCase {
    struct Case {
        var name: String
        var toml: String
        var expected: String
        var line: UInt = #line
    }

    static let cases: [Case] = [
        Case(name: "empty", toml: "", expected: "{}"),
        Case(name: "comments and blank lines", toml: "# c\n\n  # d\r\n", expected: "{}"),
        Case(name: "bare keys", toml: "a = 1\nb_c-d = 2\n1234 = 3", expected: "{a=1,b_c-d=2,1234=3}"),
        Case(name: "quoted keys", toml: "\"a.b\" = 1\n'c d' = 2\n\"\" = 3", expected: "{\"a.b\"=1,\"c d\"=2,\"\"=3}"),
        Case(name: "dotted keys with spaces", toml: "a . b.\"c\" = 1\na.d = 2", expected: "{a={b={c=1},d=2}}"),
        Case(name: "float-looking key is two keys", toml: "3.14 = 1", expected: "{3={14=1}}"),
        Case(name: "key order kept", toml: "z = 1\na = 2\nm = 3", expected: "{z=1,a=2,m=3}"),
        Case(name: "basic string escapes", toml: #"s = "a\tb\"c\\d\u00e9\U0001F600""#, expected: "{s=\"a\tb\\\"c\\\\déyo\"}".replacingOccurrences(of: "yo", with: "😀")),
        Case(name: "literal string", toml: #"s = 'C:\path\n'"#, expected: #"{s="C:\\path\\n"}"#),
        Case(name: "multiline basic trims first newline", toml: "s = \"\"\"\nab\ncd\"\"\"", expected: #"{s="ab\ncd"}"#),
        Case(name: "multiline line-ending backslash", toml: "s = \"\"\"\\\n   a \\   \n\n  b\"\"\"", expected: #"{s="a b"}"#),
        Case(name: "multiline quotes before close", toml: "s = \"\"\"a\"\"\"\"\"", expected: #"{s="a\"\""}"#),
        Case(name: "multiline CRLF becomes LF", toml: "s = \"\"\"a\r\nb\"\"\"", expected: #"{s="a\nb"}"#),
        Case(name: "multiline literal", toml: "s = '''\n\\n 'q' ''''", expected: #"{s="\\n 'q' '"}"#),
        Case(name: "integers", toml: "a = +99\nb = -17\nc = 0\nd = -0\ne = 1_000_000\nf = 5_3_4", expected: "{a=99,b=-17,c=0,d=0,e=1000000,f=534}"),
        Case(name: "integer limits", toml: "a = 9223372036854775807\nb = -9223372036854775808", expected: "{a=9223372036854775807,b=-9223372036854775808}"),
        Case(name: "hex oct bin", toml: "a = 0xDEAD_beef\nb = 0o755\nc = 0b1101_0110\nd = 0x0", expected: "{a=3735928559,b=493,c=214,d=0}"),
        Case(name: "floats", toml: "a = 1.5\nb = -0.01\nc = 5e+22\nd = 1e06\ne = -2E-2\nf = 6.626e-34\ng = 224_617.445_991", expected: "{a=1.5,b=-0.01,c=5e+22,d=1000000.0,e=-0.02,f=6.626e-34,g=224617.445991}"),
        Case(name: "special floats", toml: "a = inf\nb = +inf\nc = -inf", expected: "{a=inf,b=inf,c=-inf}"),
        Case(name: "booleans", toml: "a = true\nb = false", expected: "{a=true,b=false}"),
        Case(name: "datetimes", toml: "a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00.999999-07:00\nc = 1979-05-27 07:32:00\nd = 1979-05-27\ne = 07:32:00.5\nf = 2024-02-29",
             expected: "{a=dt(1979-05-27T07:32:00Z),b=dt(1979-05-27T00:32:00.999999-07:00),c=dt(1979-05-27 07:32:00),d=dt(1979-05-27),e=dt(07:32:00.5),f=dt(2024-02-29)}"),
        Case(name: "arrays mixed and nested", toml: "a = [1, 'x', [2, 3], {b = 4}]\nb = []", expected: "{a=[1,\"x\",[2,3],{b=4}],b=[]}"),
        Case(name: "multiline array with comments and trailing comma", toml: "a = [\n  1, # one\n  # alone\n  2,\n]", expected: "{a=[1,2]}"),
        Case(name: "inline tables", toml: "p = { x = 1, y.z = 2, \"q\" = 'r' }\ne = {}", expected: "{p={x=1,y={z=2},q=\"r\"},e={}}"),
        Case(name: "tables", toml: "[a]\nx = 1\n[b.c]\ny = 2\n[ d . 'e' ]", expected: "{a={x=1},b={c={y=2}},d={e={}}}"),
        Case(name: "implicit table defined later", toml: "[a.b]\nx = 1\n[a]\ny = 2", expected: "{a={b={x=1},y=2}}"),
        Case(name: "sub-table inside dotted-key table", toml: "[f]\napple.color = 'red'\n[f.apple.texture]\nsmooth = true", expected: "{f={apple={color=\"red\",texture={smooth=true}}}}"),
        Case(name: "array of tables", toml: "[[p]]\nn = 1\n[[p]]\n[[p]]\nn = 3", expected: "{p=[{n=1},{},{n=3}]}"),
        Case(name: "nested array of tables", toml: "[[f]]\nn = 'a'\n[f.d]\nc = 1\n[[f.v]]\nk = 1\n[[f.v]]\nk = 2\n[[f]]\nn = 'b'",
             expected: "{f=[{n=\"a\",d={c=1},v=[{k=1},{k=2}]},{n=\"b\"}]}"),
        Case(name: "whitespace and tabs", toml: "\t a\t=\t1 \t# c", expected: "{a=1}"),
        Case(name: "byte order mark", toml: "\u{FEFF}a = 1", expected: "{a=1}"),
        Case(name: "unicode in strings and comments", toml: "a = \"ünï\" # ☃", expected: "{a=\"ünï\"}"),
    ]

    func testValidDocuments() {
        for testCase in Self.cases {
            let (table, errors) = TOMLParser.parse(testCase.toml, file: "t.toml")
            XCTAssertEqual(errors, [], "\(testCase.name)", line: testCase.line)
            XCTAssertEqual(render(table), testCase.expected, "\(testCase.name)", line: testCase.line)
        }
    }

    func testNaNIsFloat() {
        let (table, errors) = TOMLParser.parse("a = nan\nb = -nan", file: "t")
        XCTAssertEqual(errors, [])
        for key in ["a", "b"] {
            guard case .float(let value)? = table[key]?.value else { return XCTFail(key) }
            XCTAssertTrue(value.isNaN)
        }
    }
}
