// HTTPURL as its two readers need it: the ACME client's https URLs (a query kept in the target, "/" for an
// empty path) and lego's HTTPREQ_ENDPOINT (http or https, user info, Go's JoinPath), one table.
import HTTPClient
import XCTest

final class HTTPURLTests: XCTestCase {
    func testParsedParts() throws {
        // text, tls, host, port, target, Host header
        let cases: [(String, Bool, String, UInt16, String, String)] = [
            ("https://localhost:14000/dir", true, "localhost", 14000, "/dir", "localhost:14000"),
            ("https://acme-v02.api.letsencrypt.org/directory", true, "acme-v02.api.letsencrypt.org", 443, "/directory",
             "acme-v02.api.letsencrypt.org"),
            ("https://CA.Example:443", true, "ca.example", 443, "/", "ca.example"),
            ("https://ca.example?x=1", true, "ca.example", 443, "/?x=1", "ca.example"),
            ("https://ca.example/acme/order/1?a=b#frag", true, "ca.example", 443, "/acme/order/1?a=b", "ca.example"),
            ("https://[::1]:14000/dir", true, "::1", 14000, "/dir", "[::1]:14000"),
            ("HTTP://127.0.0.1:9090/api/", false, "127.0.0.1", 9090, "/api/", "127.0.0.1:9090"),
            ("http://dns.example", false, "dns.example", 80, "/", "dns.example"),
            ("http://dns.example:443", false, "dns.example", 443, "/", "dns.example:443"),
        ]
        for (text, tls, host, port, target, hostHeader) in cases {
            let url = try XCTUnwrap(HTTPURL(text), text)
            XCTAssertEqual(url.tls, tls, text)
            XCTAssertEqual(url.host, host, text)
            XCTAssertEqual(url.port, port, text)
            XCTAssertEqual(url.target, target, text)
            XCTAssertEqual(url.hostHeader, hostHeader, text)
            XCTAssertEqual(url.text, text)
        }
        for bad in ["ftp://x", "http://", "https://:443/", "http://x:0", "http://x:65536", "http://x:port", "https://[::1/", "x.test:80"] {
            XCTAssertNil(HTTPURL(bad), bad)
        }
    }

    func testUserInfoQueryAndJoinedPaths() throws {
        let url = try XCTUnwrap(HTTPURL("http://u%40x:p%3As@[::1]:8080/api//"))
        XCTAssertEqual(url.userInfo?.user, "u@x")
        XCTAssertEqual(url.userInfo?.password, "p:s")
        XCTAssertEqual(url.target(appending: "/present"), "/api/present", "Go's JoinPath: the trailing slashes go")
        XCTAssertEqual(url.description, "http://[::1]:8080/api//", "never the user info")
        XCTAssertEqual(url.origin, "http://[::1]:8080")
        XCTAssertNil(url.query)
        let root = try XCTUnwrap(HTTPURL("https://dns.example.org"))
        XCTAssertEqual(root.target(appending: "/cleanup"), "/cleanup")
        XCTAssertNil(root.userInfo)
        let userOnly = try XCTUnwrap(HTTPURL("https://user@h/"))
        XCTAssertEqual(userOnly.userInfo?.user, "user")
        XCTAssertEqual(userOnly.userInfo?.password, "")
        let q = try XCTUnwrap(HTTPURL("http://h/p?q=1#f"))
        XCTAssertEqual(q.path, "/p")
        XCTAssertEqual(q.query, "q=1")
        XCTAssertEqual(q.fragment, "f")
    }
}
