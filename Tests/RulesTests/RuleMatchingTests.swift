@testable import Rules
import XCTest

final class RuleMatchingTests: XCTestCase {
    func testHost() {
        let cases: [(String, String, Bool)] = [
            ("Host(`example.com`)", "example.com", true),
            ("Host(`example.com`)", "EXAMPLE.com:8080", true),
            ("Host(`Example.COM`)", "example.com", true),
            ("Host(`a.lan`)", "A.LAN.:80", true),
            ("Host(`a.lan.`)", "a.lan", true),
            ("Host(`example.com`)", "example.org", false),
            ("Host(`example.com`)", "www.example.com", false),
            ("Host(`example.com`)", "", false),
            ("Host(`*.example.com`)", "foo.example.com", true),
            ("Host(`*.example.com`)", "FOO.Example.com:443", true),
            ("Host(`*.example.com`)", "foo.bar.example.com", false),
            ("Host(`*.example.com`)", "example.com", false),
            ("Host(`*`)", "anything.at.all", true),
            ("Host(`*`)", "", true),
            ("Host(`::1`)", "[::1]:8080", true),
            ("Host(`10.0.0.1`)", "10.0.0.1:80", true),
        ]
        for (rule, host, expected) in cases { assertRule(rule, ruleRequest(host: host), expected) }
    }

    func testHostRegexp() {
        let cases: [(String, String, Bool)] = [
            ("HostRegexp(`^[a-z]+\\.traefik\\.com$`)", "foobar.traefik.com", true),
            ("HostRegexp(`^[a-z]+\\.traefik\\.com$`)", "foo.bar.traefik.com", false),
            ("HostRegexp(`traefik`)", "www.traefik.io", true),  // unanchored
            ("HostRegexp(`^traefik`)", "www.traefik.io", false),
            ("HostRegexp(`^example\\.com$`)", "Example.COM:8080", true),  // canonical host
            ("HostRegexp(`^.+$`)", "", false),  // Traefik's http->https redirect rule: empty host never matches
            ("HostRegexp(`^.+$`)", "x", true),
            ("HostRegexp(`^a$`)", "a.", true),  // trailing dot stripped before matching
        ]
        for (rule, host, expected) in cases { assertRule(rule, ruleRequest(host: host), expected) }
    }

    func testMethod() {
        let cases: [(String, String, Bool)] = [
            ("Method(`GET`)", "GET", true), ("Method(`get`)", "GET", true), ("Method(`GET`)", "POST", false),
            ("Method(`POST`)", "post", false),  // request methods are case-sensitive
        ]
        for (rule, method, expected) in cases { assertRule(rule, ruleRequest(method: method), expected) }
    }

    func testPaths() {
        let cases: [(String, String, Bool)] = [
            ("Path(`/products`)", "/products", true),
            ("Path(`/products`)", "/products/", false),
            ("Path(`/products`)", "/products?x=1", true),
            ("Path(`/products`)", "/Products", false),
            ("Path(`/a b`)", "/a%20b", true),
            ("Path(`/a/b`)", "/a%2Fb", false),  // reserved escapes stay encoded
            ("Path(`/a%2Fb`)", "/a%2Fb", true),
            ("PathPrefix(`/products`)", "/products", true),
            ("PathPrefix(`/products`)", "/products/x", true),
            ("PathPrefix(`/products`)", "/products-for-sale", true),
            ("PathPrefix(`/products`)", "/product", false),
            ("PathPrefix(`/`)", "/anything", true),
            ("PathPrefix(`/{id:[0-9]+}`)", "/12", false),  // v3: no placeholders, literal prefix
            ("PathPrefix(`/{id:[0-9]+}`)", "/{id:[0-9]+}/x", true),
            ("PathRegexp(`^/api/v[0-9]+/`)", "/api/v2/users", true),
            ("PathRegexp(`^/api/v[0-9]+/`)", "/api/vx/users", false),
            ("PathRegexp(`\\.(css|js)$`)", "/static/app.js", true),
            ("PathRegexp(`\\.(css|js)$`)", "/static/app.js/", false),
            ("PathRegexp(`x$`)", "/x%0A", false),  // Go's $ is end of text, not before a final newline
            ("PathRegexp(`^/é`)", "/%C3%A9", true),
            ("PathRegexp(`^/.$`)", "/%C3%A9", true),  // `.` is one UTF-8 character, as in Go
        ]
        for (rule, target, expected) in cases { assertRule(rule, ruleRequest(target: target), expected) }
    }

    func testHeaders() {
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("X-Multi", "one"), ("x-multi", "two"), ("X-List", "a, b"),
        ]
        let cases: [(String, Bool)] = [
            ("Header(`Content-Type`, `application/json`)", true),
            ("Header(`content-type`, `application/json`)", true),
            ("Header(`Content-Type`, `application/JSON`)", false),
            ("Header(`Content-Type`, `application`)", false),
            ("Header(`X-Multi`, `two`)", true),
            ("Header(`X-List`, `a`)", false),  // one header line "a, b" is one value
            ("Header(`X-Missing`, `a`)", false),
            ("HeaderRegexp(`Content-Type`, `^application/(json|xml)$`)", true),
            ("HeaderRegexp(`content-type`, `json`)", true),
            ("HeaderRegexp(`X-Multi`, `^tw`)", true),
            ("HeaderRegexp(`X-Multi`, `^three$`)", false),
            ("HeaderRegexp(`X-Missing`, `.*`)", false),
        ]
        let request = ruleRequest(headers: headers)
        for (rule, expected) in cases { assertRule(rule, request, expected) }
    }

    func testQuery() {
        let cases: [(String, String, Bool)] = [
            ("Query(`mobile`, `true`)", "/?mobile=true", true),
            ("Query(`mobile`, `true`)", "/?mobile=false&mobile=true", true),
            ("Query(`mobile`, `true`)", "/?mobile=false", false),
            ("Query(`mobile`, `true`)", "/?other=true", false),
            ("Query(`q`, `a b`)", "/?q=a+b", true),
            ("Query(`q`, `a&b`)", "/?q=a%26b", true),
            ("Query(`mobile`)", "/?mobile", true),
            ("Query(`mobile`)", "/?mobile=", true),
            ("Query(`mobile`)", "/?mobile=1", false),  // Traefik: one argument means "present with empty value"
            ("Query(`mobile`)", "/", false),
            ("Query(`k`, `v`)", "/?k=v;x=1", false),  // pairs with ';' are dropped, as Go does
            ("QueryRegexp(`id`, `^[0-9]+$`)", "/?id=42", true),
            ("QueryRegexp(`id`, `^[0-9]+$`)", "/?id=x42", false),
            ("QueryRegexp(`id`, `^[0-9]+$`)", "/?id=x&id=7", true),
            ("QueryRegexp(`id`)", "/?id", true),
        ]
        for (rule, target, expected) in cases { assertRule(rule, ruleRequest(target: target), expected) }
    }

    func testClientIP() {
        let cases: [(String, String?, Bool)] = [
            ("ClientIP(`192.168.1.7`)", "192.168.1.7", true),
            ("ClientIP(`192.168.1.7`)", "192.168.1.8", false),
            ("ClientIP(`192.168.0.0/16`)", "192.168.44.1", true),
            ("ClientIP(`192.168.0.0/16`)", "192.169.0.1", false),
            ("ClientIP(`192.168.1.7/16`)", "192.168.200.3", true),  // host bits cleared like Go's ParseCIDR
            ("ClientIP(`0.0.0.0/0`)", "8.8.8.8", true),
            ("ClientIP(`0.0.0.0/0`)", "2001:db8::1", false),
            ("ClientIP(`10.0.0.0/8`)", "::ffff:10.1.2.3", true),  // dual-stack peer
            ("ClientIP(`10.1.2.3`)", "::ffff:10.1.2.3", true),
            ("ClientIP(`::ffff:10.1.2.3`)", "10.1.2.3", true),
            ("ClientIP(`2001:db8::/32`)", "2001:db8:ffff::1", true),
            ("ClientIP(`2001:db8::/32`)", "2001:db9::1", false),
            ("ClientIP(`2001:db8::1`)", "2001:DB8:0::1", true),
            ("ClientIP(`fe80::/10`)", "fe80::1%eth0", true),
            ("ClientIP(`2001:db8:1:2:3:4:5:0/127`)", "2001:db8:1:2:3:4:5:1", true),
            ("ClientIP(`2001:db8:1:2:3:4:5:0/127`)", "2001:db8:1:2:3:4:5:2", false),
            ("ClientIP(`::/0`)", "10.0.0.1", false),
            ("ClientIP(`10.0.0.0/8`)", nil, false),
        ]
        for (rule, ip, expected) in cases { assertRule(rule, ruleRequest(ip: ip), expected) }
    }

    func testCombinations() {
        let request = ruleRequest(host: "api.example.com", target: "/v1/users?debug=1", method: "POST",
                                  headers: [("X-Env", "prod")], ip: "10.0.0.5")
        let cases: [(String, Bool)] = [
            ("Host(`api.example.com`) && PathPrefix(`/v1`)", true),
            ("Host(`api.example.com`) && PathPrefix(`/v2`)", false),
            ("Host(`other`) || PathPrefix(`/v1`)", true),
            ("Host(`other`) || PathPrefix(`/v2`) && Method(`POST`)", false),
            ("(Host(`other`) || PathPrefix(`/v1`)) && Method(`POST`)", true),
            ("!Method(`GET`)", true),
            ("!(Method(`POST`) && Header(`X-Env`, `prod`))", false),
            ("Host(`api.example.com`) && !ClientIP(`10.0.0.0/8`)", false),
            ("Query(`debug`, `1`) && !Query(`debug`, `0`)", true),
        ]
        for (rule, expected) in cases { assertRule(rule, request, expected) }
    }

    func testRequestValues() {
        XCTAssertNil(RuleRequestValues(method: "GET", target: "/a%zz", hostHeader: "x"))
        XCTAssertNil(RuleRequestValues(method: "GET", target: "/a%2", hostHeader: "x"))
        XCTAssertEqual(RuleRequestValues(method: "GET", target: "/a%2f%41?x", hostHeader: "x")?.path, "/a/A")
        let hosts: [(String, String)] = [
            ("Example.COM:8080", "example.com"), ("[::1]:80", "::1"), ("[::1]", "::1"), ("a.lan.", "a.lan"),
            ("::1", "::1"), (" spaced ", "spaced"), ("", ""),
        ]
        for (header, canonical) in hosts { XCTAssertEqual(RuleHost.canonical(header), canonical, header) }
        // The ASCII fast path gives what the Character path gives, on every shape of host.
        let alphabet = Array("aZ.:[]1 \t-")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let header = String((0..<Int.random(in: 0...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let viaBytes = Array(header.utf8).withUnsafeBytes { RuleHost.canonical(bytes: $0) }
            XCTAssertEqual(viaBytes, RuleHost.canonicalCharacters(header), header)
            XCTAssertEqual(RuleHost.canonical(header), RuleHost.canonicalCharacters(header), header)
        }
        XCTAssertEqual(RuleHost.canonical("ÉXAMPLE.com"), "éxample.com")
        XCTAssertEqual(ClientIP("10.1.2.3")?.description, "10.1.2.3")
        XCTAssertEqual(ClientIP("2001:db8::1")?.description, "2001:db8::1")
        XCTAssertNil(ClientIP("10.1.2"))
        XCTAssertNil(ClientIP("010.1.2.3"))
        XCTAssertEqual(ClientIPRange("10.1.2.3/8")?.description, "10.0.0.0/8")
    }
}
