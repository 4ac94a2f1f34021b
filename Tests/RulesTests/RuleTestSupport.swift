@testable import Rules
import XCTest

/// A request with everything defaulted; `target` may carry a query ("/p?x=1").
func ruleRequest(host: String = "example.com", target: String = "/", method: String = "GET",
                 headers: [(name: String, value: String)] = [], ip: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) -> RuleRequestValues {
    guard let request = RuleRequestValues(method: method, target: target, hostHeader: host, headers: headers,
                                          clientIP: ip.flatMap(ClientIP.init)) else {
        XCTFail("bad target \(target)", file: file, line: line)
        return RuleRequestValues()
    }
    return request
}

/// Asserts `rule` (parsed in `syntax`) matches or not; reports the rule and the case on failure.
func assertRule(_ rule: String, syntax: RuleSyntax = .v3, _ request: RuleRequestValues, _ expected: Bool,
                file: StaticString = #filePath, line: UInt = #line) {
    do {
        let expression = try RuleParser.parse(rule, syntax: syntax)
        XCTAssertEqual(expression.matches(request), expected,
                       "\(rule) [\(syntax)] on host=\(request.host) path=\(request.path) method=\(request.method)",
                       file: file, line: line)
    } catch {
        XCTFail("\(rule) [\(syntax)] did not parse: \(error)", file: file, line: line)
    }
}

/// The parse error of `rule`, failing the test when it parses.
func parseError(_ rule: String, syntax: RuleSyntax = .v3, file: StaticString = #filePath,
                line: UInt = #line) -> RuleParseError? {
    do {
        _ = try RuleParser.parse(rule, syntax: syntax)
        XCTFail("\(rule) [\(syntax)] parsed but should not", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
