@testable import Rules
import XCTest

final class RuleV2Tests: XCTestCase {
    func testHostVariadic() {
        let cases: [(String, String, Bool)] = [
            ("Host(`a.com`, `b.com`)", "a.com", true),
            ("Host(`a.com`, `b.com`)", "B.com:80", true),
            ("Host(`a.com`, `b.com`)", "c.com", false),
            ("HostHeader(`a.com`)", "a.com", true),
            ("Host(`a.com.`)", "a.com", true),
            ("Host(`*.a.com`)", "x.a.com", false),  // no wildcard in v2
            ("Host(`*`)", "x", false),
            ("Host(`a.com`)", "", false),
        ]
        for (rule, host, expected) in cases { assertRule(rule, syntax: .v2, ruleRequest(host: host), expected) }
    }

    func testHostRegexpTemplates() {
        let cases: [(String, String, Bool)] = [
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", "foo.example.org", true),
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", "FOO.example.org:443", true),
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", "foo1.example.org", false),
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", "fooxexample.org", false),  // "." is literal
            ("HostRegexp(`{sub:[a-z]+}.example.org`)", "foo.example.org.evil", false),  // anchored
            ("HostRegexp(`{sub}.example.org`)", "any-thing.example.org", true),  // default [^.]+
            ("HostRegexp(`{sub}.example.org`)", "a.b.example.org", false),
            ("HostRegexp(`example.org`, `{x:.*}.example.com`)", "w.example.com", true),
            ("HostRegexp(`example.org`, `{x:.*}.example.com`)", "example.org", true),
            ("HostRegexp(`{a:[a-z]+}-{b:[0-9]+}.lan`)", "web-01.lan", true),
            ("HostRegexp(`{a:(?:web|api)}.lan`)", "api.lan", true),
        ]
        for (rule, host, expected) in cases { assertRule(rule, syntax: .v2, ruleRequest(host: host), expected) }
    }

    func testPathTemplatesAndMethods() {
        let cases: [(String, String, String, Bool)] = [
            ("Path(`/a`, `/b`)", "/b", "GET", true),
            ("Path(`/a`, `/b`)", "/c", "GET", false),
            ("Path(`/users/{id:[0-9]+}`)", "/users/42", "GET", true),
            ("Path(`/users/{id:[0-9]+}`)", "/users/42/x", "GET", false),
            ("Path(`/users/{id}`)", "/users/abc", "GET", true),
            ("Path(`/users/{id}`)", "/users/a/b", "GET", false),
            ("PathPrefix(`/api/{v:v[0-9]}/`)", "/api/v2/x", "GET", true),
            ("PathPrefix(`/api/{v:v[0-9]}/`)", "/api/vx/x", "GET", false),
            ("PathPrefix(`/a`, `/b`)", "/bcd", "GET", true),
            ("PathPrefix(`/a.b`)", "/axb", "GET", false),
            ("Method(`GET`, `post`)", "/", "POST", true),
            ("Method(`GET`, `POST`)", "/", "PUT", false),
        ]
        for (rule, target, method, expected) in cases {
            assertRule(rule, syntax: .v2, ruleRequest(target: target, method: method), expected)
        }
    }

    func testHeadersAndQuery() {
        let request = ruleRequest(target: "/?k=v&n=12&empty=&k=w",
                                  headers: [("X-A", "1"), ("X-B", "two"), ("Content-Type", "text/html")])
        let cases: [(String, Bool)] = [
            ("Headers(`X-A`, `1`)", true),
            ("Headers(`x-a`, `1`)", true),
            ("Headers(`X-A`, `2`)", false),
            ("Headers(`X-A`, `1`, `X-B`, `two`)", true),  // all pairs
            ("Headers(`X-A`, `1`, `X-B`, `three`)", false),
            ("HeadersRegexp(`Content-Type`, `^text/`)", true),
            ("HeadersRegexp(`Content-Type`, `^text/`, `X-A`, `[0-9]`)", true),
            ("HeadersRegexp(`Content-Type`, `^image/`)", false),
            ("Query(`k=v`)", true),
            ("Query(`k=w`)", false),  // gorilla looks at the first value of a key only
            ("Query(`k=v`, `n=12`)", true),  // all pairs
            ("Query(`k=v`, `n=13`)", false),
            ("Query(`n={n:[0-9]+}`)", true),
            ("Query(`n={n:[a-z]+}`)", false),
            ("Query(`k=`)", true),  // empty value: any value
            ("Query(`empty=`)", true),
            ("Query(`missing=`)", false),
            ("Query(`k`, `v`)", true),  // the pieces pair up: "k=v"
        ]
        for (rule, expected) in cases { assertRule(rule, syntax: .v2, request, expected) }
    }

    func testClientIPVariadic() {
        assertRule("ClientIP(`10.0.0.1`, `192.168.0.0/16`)", syntax: .v2, ruleRequest(ip: "192.168.3.4"), true)
        assertRule("ClientIP(`10.0.0.1`, `192.168.0.0/16`)", syntax: .v2, ruleRequest(ip: "10.0.0.2"), false)
    }

    func testV2Errors() {
        let cases: [(String, Int, String)] = [
            ("Headers(`X-A`)", 1, "number of parameters must be multiple of 2"),
            ("Query(`k`)", 1, "number of parameters must be multiple of 2"),
            ("HostRegexp(`{sub:[a-z]+.example.org`)", 13, "unbalanced braces"),
            ("HostRegexp(`{:[a-z]+}.example.org`)", 13, "missing name or pattern"),
            ("HostRegexp(`{sub:([a-z]+)}.example.org`)", 13, "contains capture groups"),
            ("Path(`/{id:[0-9}`)", 7, "missing terminating ]"),
            ("HeadersRegexp(`X`, `(?=a)`)", 21, "invalid or unsupported Perl syntax"),
            ("Header(`X`, `1`)", 1, "unsupported function: Header"),
            ("HostSNI(`a`)", 1, "unsupported function: HostSNI"),
            ("Host(`ü.de`)", 7, "non-ASCII"),
            ("Path(`/{id`)", 8, "unbalanced braces"),
        ]
        for (rule, column, fragment) in cases {
            guard let error = parseError(rule, syntax: .v2) else { continue }
            XCTAssertTrue(error.message.contains(fragment), "\(rule): \(error.message)")
            XCTAssertEqual(error.column, column, "\(rule): \(error)")
        }
    }

    func testDescriptionKeepsArguments() throws {
        XCTAssertEqual(try RuleParser.parse("Host(`a`, `b`) || !Method(`GET`)", syntax: .v2).description,
                       "Host(`a`, `b`) || !Method(`GET`)")
    }
}
