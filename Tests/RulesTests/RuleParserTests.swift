@testable import Rules
import XCTest

final class RuleParserTests: XCTestCase {
    func testValidRulesAndPrecedence() throws {
        // rule -> fully parenthesised reading
        let cases: [(String, String)] = [
            ("Host(`a.com`)", "Host(`a.com`)"),
            ("Host(\"a.com\")", "Host(`a.com`)"),
            ("  Host( `a.com` )  ", "Host(`a.com`)"),
            ("Host(`a`) && Path(`/p`) || Method(`GET`)", "(Host(`a`) && Path(`/p`)) || Method(`GET`)"),
            ("Method(`GET`) || Host(`a`) && Path(`/p`)", "Method(`GET`) || (Host(`a`) && Path(`/p`))"),
            ("(Method(`GET`) || Host(`a`)) && Path(`/p`)", "(Method(`GET`) || Host(`a`)) && Path(`/p`)"),
            ("!Host(`a`) && Path(`/p`)", "!Host(`a`) && Path(`/p`)"),
            ("!(Host(`a`) && Path(`/p`))", "!(Host(`a`) && Path(`/p`))"),
            ("!!Host(`a`)", "!!Host(`a`)"),
            ("Host(`a`) && Path(`/a`) && Method(`PUT`)", "(Host(`a`) && Path(`/a`)) && Method(`PUT`)"),
            ("Header(\"X-Q\", \"say \\\"hi\\\"\")", "Header(`X-Q`, `say \"hi\"`)"),
            ("Header(`X`, \"a\\tb\")", "Header(`X`, `a\tb`)"),
            ("Header(`X`, \"\\x41\\u00e9\\101\")", "Header(`X`, `AéA`)"),
            ("Header(`X`, \"has`tick\")", "Header(`X`, \"has`tick\")"),
            ("host(`a`) && PATH(`/`) && Pathprefix(`/x`)", "(Host(`a`) && Path(`/`)) && PathPrefix(`/x`)"),
            ("Host(`a`,)", "Host(`a`)"),
            ("Host(`a`)\n  && Path(`/`)", "Host(`a`) && Path(`/`)"),
            ("Query(`k`)", "Query(`k`)"),
            ("ClientIP(`10.0.0.0/8`)", "ClientIP(`10.0.0.0/8`)"),
        ]
        for (rule, expected) in cases {
            XCTAssertEqual(try RuleParser.parse(rule).description, expected, rule)
        }
    }

    func testInvalidRulesReportColumn() {
        // rule, column, fragment of the message
        let cases: [(String, Int, String)] = [
            ("", 1, "expected operand, found 'EOF'"),
            ("Host(`a`) &&", 13, "expected operand, found 'EOF'"),
            ("Host(`a`", 9, "expected ')', found 'EOF'"),
            ("Host('a')", 6, "illegal rune literal"),
            ("Host(`a`) Path(`/`)", 11, "expected 'EOF', found Path (missing && or ||?)"),
            ("Host(`a`) & Path(`/`)", 11, "unsupported operator: &"),
            ("Host(`a`) | Path(`/`)", 11, "unsupported operator: |"),
            ("Host(`a)", 6, "raw string literal not terminated"),
            ("Host(\"a)", 6, "string literal not terminated"),
            ("Host(\"a\\qb\")", 8, "unknown escape sequence"),
            ("Host(a)", 6, "expected a value quoted with backticks or double quotes"),
            ("Host", 5, "expected '(' after Host, found 'EOF'"),
            ("Hots(`a`)", 1, "unsupported function: Hots"),
            ("hOST(`a`)", 1, "unsupported function: hOST"),
            ("Host(`a`) && Foo(`b`)", 14, "unsupported function: Foo"),
            ("Host()", 1, "no args for matcher Host"),
            ("Host(``)", 7, "empty args for matcher Host"),
            ("Host(`a`, `b`)", 1, "unexpected number of parameters; got 2, expected one of [1]"),
            ("Header(`a`)", 1, "unexpected number of parameters; got 1, expected one of [2]"),
            ("Query(`a`, `b`, `c`)", 1, "expected one of [1, 2]"),
            ("Path(`api`)", 7, "path \"api\" does not start with a '/'"),
            ("PathPrefix(`api`)", 13, "does not start with a '/'"),
            ("Host(`bücher.de`)", 7, "non-ASCII characters are not allowed"),
            ("ClientIP(`10.0.0.0/33`)", 11, "invalid CIDR address: 10.0.0.0/33"),
            ("ClientIP(`nope`)", 11, "invalid CIDR address"),
            ("Host(`a`) # x", 11, "illegal character U+0023 '#'"),
            ("(Host(`a`)", 11, "expected ')', found 'EOF'"),
            ("Host(`a`))", 10, "expected 'EOF', found ')'"),
            ("Headers(`a`, `b`)", 1, "unsupported function: Headers"),
            ("HostHeader(`a`)", 1, "unsupported function: HostHeader"),
        ]
        for (rule, column, fragment) in cases {
            guard let error = parseError(rule) else { continue }
            XCTAssertEqual(error.column, column, "\(rule): \(error)")
            XCTAssertTrue(error.message.contains(fragment), "\(rule): \(error.message)")
            XCTAssertEqual(error.line, 1, rule)
        }
    }

    func testErrorOnLaterLineAndDescription() {
        guard let error = parseError("Host(`a`) &&\n  Foo(`b`)") else { return }
        XCTAssertEqual(error.line, 2)
        XCTAssertEqual(error.column, 3)
        XCTAssertEqual(error.description,
                       "error while parsing rule Host(`a`) &&\n  Foo(`b`): 2:3: unsupported function: Foo")
    }

    func testBadRegexPointsInsideArgument() {
        let cases: [(String, Int, String)] = [
            ("HostRegexp(`[a-z`)", 17, "compiling HostRegexp matcher"),
            ("PathRegexp(`^/(a`)", 17, "compiling PathRegexp matcher"),
            ("HeaderRegexp(`X`, `a(?=b)`)", 21, "invalid or unsupported Perl syntax: `(?=`"),
            ("QueryRegexp(`k`, `(a)\\1`)", 22, "backreferences are not supported"),
            ("HostRegexp(`a++`)", 14, "invalid nested repetition operator: `++`"),
            ("PathRegexp(`\\K`)", 13, "invalid escape sequence: `\\K`"),
            ("PathRegexp(`(?<!a)b`)", 13, "invalid or unsupported Perl syntax"),
            ("PathRegexp(`(*UTF)a`)", 14, "missing argument to repetition operator"),
        ]
        for (rule, column, fragment) in cases {
            guard let error = parseError(rule) else { continue }
            XCTAssertTrue(error.message.contains(fragment), "\(rule): \(error.message)")
            XCTAssertEqual(error.column, column, "\(rule): \(error)")
        }
    }

    func testRE2SyntaxThatStaysValid() throws {
        let valid = [
            "PathRegexp(`^/(?P<id>[0-9]+)$`)", "PathRegexp(`^/(?<id>[0-9]+)$`)", "HostRegexp(`(?i)^A\\.b$`)",
            "PathRegexp(`[[:word:]]+`)", "PathRegexp(`\\Q(?=\\E`)", "PathRegexp(`[(?=]`)", "PathRegexp(`\\pL+`)",
            "PathRegexp(`a{2,3}`)", "PathRegexp(`\\x41\\101\\0`)", "PathRegexp(`(?-i:a)`)", "PathRegexp(`\\++`)",
        ]
        for rule in valid { XCTAssertNoThrow(try RuleParser.parse(rule), rule) }
    }

    func testParseAutoFallsBackToV2() throws {
        // rule, configured syntax, expected fallback flag (nil: error)
        let cases: [(String, RuleSyntax, Bool?)] = [
            ("Host(`a`)", .v3, false),
            ("Host(`a`, `b`)", .v3, true),
            ("Headers(`X`, `1`)", .v3, true),
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", .v3, false),  // valid (if useless) v3 regexp
            ("Header(`X`, `1`)", .v3, false),
            ("Header(`X`, `1`)", .v2, nil),  // no fallback from v2 to v3
            ("Host(`a`, `b`)", .v2, false),
            ("Nope(`a`)", .v3, nil),
        ]
        for (rule, syntax, expected) in cases {
            do {
                let result = try RuleParser.parseAuto(rule, default: syntax)
                XCTAssertEqual(result.usedV2Fallback, expected, rule)
                if result.usedV2Fallback { XCTAssertEqual(result.expression.leaves.first?.syntax, .v2, rule) }
            } catch {
                XCTAssertNil(expected, "\(rule): \(error)")
            }
        }
        // The v3 error is the one reported when neither syntax accepts the rule.
        do {
            _ = try RuleParser.parseAuto("Host(`a`, `b`) && Header(`X`)", default: .v3)
            XCTFail("should not parse")
        } catch {
            XCTAssertTrue(error.message.contains("unexpected number of parameters"), error.message)
        }
    }

    func testRuleSyntaxConfigValue() {
        XCTAssertEqual(RuleSyntax(configValue: "V2"), .v2)
        XCTAssertEqual(RuleSyntax(configValue: "v3"), .v3)
        XCTAssertNil(RuleSyntax(configValue: "v1"))
    }

    /// A hostile label's rule nesting thousands of levels overflowed the stack (the `rule` fuzz target):
    /// nesting and operator counts are bounded, and past them the rule is refused with a reason.
    func testDeepRulesAreRefusedNotOverflowingTheStack() throws {
        let host = "Host(`a.lan`)"
        _ = try RuleParser.parse(String(repeating: "(", count: 100) + host + String(repeating: ")", count: 100))
        _ = try RuleParser.parse(String(repeating: "!", count: 100) + host)
        for deep in [String(repeating: "(", count: 101) + host + String(repeating: ")", count: 101),
                     String(repeating: "(", count: 50_000), String(repeating: "!", count: 50_000) + host] {
            XCTAssertThrowsError(try RuleParser.parse(deep)) { error in
                XCTAssertTrue("\(error)".contains("nests deeper than 100"), "\(error)")
            }
        }
        _ = try RuleParser.parse(Array(repeating: host, count: 1_001).joined(separator: " && "))
        XCTAssertThrowsError(try RuleParser.parse(Array(repeating: host, count: 1_002).joined(separator: " || "))) { error in
            XCTAssertTrue("\(error)".contains("more than 1000"), "\(error)")
        }
    }
}
