// The basicAuth middleware end to end on parsed request heads: configuration errors, the 401 Traefik sends,
// removeHeader/headerField, usersFile merging and the cache of verified credentials.
import PKI
import Config
import Foundation
import HTTP
@testable import Proxy
import XCTest

final class BasicAuthMiddlewareTests: XCTestCase {
    /// The inethi fixture's user (docker-compose.yml, `$$` undoubled).
    private let inethi = "inethi:$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv."
    private let bcryptUser = "bob:$2b$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti"   // password "pw"
    private let shaUser = "sha:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM="   // password "pw"

    private let unauthorized = "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n"
        + "Www-Authenticate: Basic realm=\"traefik\"\r\nContent-Length: 17\r\n\r\n401 Unauthorized\n"

    private func make(_ config: TraefikBasicAuth, file: StaticString = #filePath, line: UInt = #line) -> BasicAuthMiddleware? {
        switch BasicAuthMiddleware.make(name: "auth@docker", config: config) {
        case .success(let m): return m
        case .failure(let e):
            XCTFail("unexpected config error: \(e.description)", file: file, line: line)
            return nil
        }
    }

    private func basic(_ credentials: String) -> String { "Basic " + Base64.encode(Array(credentials.utf8)) }

    /// Runs the middleware on a GET with the given Authorization fields: (response text or nil, forward).
    private func run(_ m: BasicAuthMiddleware, _ authorization: [String]) -> (String?, ForwardedRequest) {
        let fields = authorization.map { "Authorization: \($0)\r\n" }.joined()
        let bytes = Array("GET /x HTTP/1.1\r\nHost: app.inethi.net\r\n\(fields)\r\n".utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes) else {
            XCTFail("test request did not parse")
            return (nil, ForwardedRequest(path: "/x", query: ""))
        }
        var forward = ForwardedRequest(path: "/x", query: "")
        let response = m.handle(RequestView(head: head, bytes: bytes, clientIP: nil, pathAndQuery: ("/x", "")), &forward, scheme: "http")
        return (response.map { String(decoding: $0.bytes(), as: UTF8.self) }, forward)
    }

    func testUnauthorizedBytes() {
        XCTAssertEqual(String(decoding: LocalResponse.unauthorized(realm: "traefik").bytes(), as: UTF8.self), unauthorized)
    }

    func testCredentialsTable() {
        guard let m = make(TraefikBasicAuth(users: [inethi, bcryptUser, shaUser])) else { return }
        let cases: [(authorization: [String], user: String?)] = [
            ([basic("inethi:community")], "inethi"),
            (["basic " + Base64.encode(Array("inethi:community".utf8))], "inethi"),   // Go: prefix in any case
            (["BASIC " + Base64.encode(Array("inethi:community".utf8))], "inethi"),
            ([basic("bob:pw")], "bob"),
            ([basic("sha:pw")], "sha"),
            ([basic("inethi:wrong")], nil),
            ([basic("inethi:")], nil),
            ([basic("nobody:community")], nil),   // unknown user: a decoy check, then 401
            ([basic("inethicommunity")], nil),    // no colon
            ([], nil),
            ([""], nil),
            (["Basic"], nil),
            (["Basic "], nil),
            (["Bearer " + Base64.encode(Array("inethi:community".utf8))], nil),
            (["Basic aW5ldGhpOmNvbW11bml0eQ"], nil),     // unpadded: Go's StdEncoding refuses it
            (["Basic  " + Base64.encode(Array("inethi:community".utf8))], nil),   // two spaces
            (["Basic !!!!"], nil),
            ([basic("bob:wrong"), basic("bob:pw")], nil),   // only the first field counts (Header.Get)
            ([basic("bob:pw"), basic("bob:wrong")], "bob"),
        ]
        for c in cases {
            let (response, forward) = run(m, c.authorization)
            if let user = c.user {
                XCTAssertNil(response, "\(c.authorization) should authenticate \(user)")
                XCTAssertTrue(forward.setHeaders.isEmpty && forward.removeHeaders.isEmpty, "no headerField/removeHeader configured")
            } else {
                XCTAssertEqual(response, unauthorized, "\(c.authorization)")
            }
        }
    }

    func testPasswordMayContainColons() {
        let hash = "{SHA}" + Base64.encode(SHA1.digest(Array("p:w".utf8)))
        guard let m = make(TraefikBasicAuth(users: ["u:" + hash])) else { return }
        XCTAssertNil(run(m, [basic("u:p:w")]).0)
        XCTAssertNotNil(run(m, [basic("u:p")]).0)
    }

    func testRealmRemoveHeaderAndHeaderField() {
        guard let m = make(TraefikBasicAuth(users: [inethi], realm: "stoep", removeHeader: true, headerField: "X-WebAuth-User")) else { return }
        let (denied, _) = run(m, [basic("inethi:nope")])
        XCTAssertEqual(denied, unauthorized.replacingOccurrences(of: "realm=\"traefik\"", with: "realm=\"stoep\""))
        let (response, forward) = run(m, [basic("inethi:community")])
        XCTAssertNil(response)
        XCTAssertEqual(forward.removeHeaders, ["authorization"])
        XCTAssertEqual(forward.setHeaders.map(\.name), ["X-WebAuth-User"])
        XCTAssertEqual(forward.setHeaders.map(\.value), ["inethi"])
        // Defaults: realm "traefik" when empty, no header changes; an empty headerField means none.
        guard let plain = make(TraefikBasicAuth(users: [inethi], realm: "", headerField: "")) else { return }
        XCTAssertEqual(run(plain, []).0, unauthorized)
        XCTAssertTrue(run(plain, [basic("inethi:community")]).1.setHeaders.isEmpty)
    }

    func testBadConfigurations() {
        let cases: [(config: TraefikBasicAuth, mentions: [String])] = [
            (TraefikBasicAuth(users: ["nocolon"]), ["users[0]", "'nocolon:…'", "exactly one ':'"]),
            (TraefikBasicAuth(users: [inethi, "a:b:c"]), ["users[1]", "'a:…'"]),
            (TraefikBasicAuth(users: [""]), ["users[0]"]),
            (TraefikBasicAuth(usersFile: "/nonexistent/stoep-htpasswd"), ["/nonexistent/stoep-htpasswd", "No such file"]),
        ]
        for c in cases {
            guard case .failure(let e) = BasicAuthMiddleware.make(name: "auth@docker", config: c.config) else {
                XCTFail("\(c.config.users) should be refused")
                continue
            }
            for word in c.mentions { XCTAssertTrue(e.description.contains(word), "\(e.description) lacks \(word)") }
            XCTAssertFalse(e.description.contains("$apr1$"), "hashes stay out of messages")
        }
    }

    func testUsersFileMergedAndOverridden() throws {
        let path = NSTemporaryDirectory() + "stoep-basicauth-\(getpid()).htpasswd"
        defer { unlink(path) }
        let shaOfOther = "{SHA}" + Base64.encode(SHA1.digest(Array("other".utf8)))
        let text = "# comment\n\n  \(bcryptUser)  \r\ninethi:\(shaOfOther)\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // The file alone: both of its users.
        guard let fileOnly = make(TraefikBasicAuth(usersFile: path)) else { return }
        XCTAssertNil(run(fileOnly, [basic("bob:pw")]).0)
        XCTAssertNil(run(fileOnly, [basic("inethi:other")]).0)
        // `users` wins over the file for the same name.
        guard let merged = make(TraefikBasicAuth(users: [inethi], usersFile: path)) else { return }
        XCTAssertNil(run(merged, [basic("bob:pw")]).0)
        XCTAssertNil(run(merged, [basic("inethi:community")]).0)
        XCTAssertNotNil(run(merged, [basic("inethi:other")]).0)
        // A bad line is named with its file and line number.
        try "\(inethi)\n\nbroken line\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .failure(let e) = BasicAuthMiddleware.make(name: "a", config: TraefikBasicAuth(usersFile: path)) else {
            return XCTFail("bad line accepted")
        }
        XCTAssertTrue(e.description.contains("\(path):3"), e.description)
    }

    func testOnlySuccessesAreCached() {
        guard let m = make(TraefikBasicAuth(users: [bcryptUser, inethi])) else { return }
        XCTAssertNotNil(run(m, [basic("bob:wrong")]).0)
        XCTAssertNotNil(run(m, [basic("nobody:pw")]).0)
        XCTAssertEqual(m.verified.count, 0, "failures are never cached")
        XCTAssertNil(run(m, [basic("bob:pw")]).0)
        XCTAssertEqual(m.verified.count, 1)
        XCTAssertNil(run(m, [basic("bob:pw")]).0)
        XCTAssertEqual(m.verified.count, 1, "a repeated header is answered from the cache")
        XCTAssertEqual(m.verified.user(for: Array(basic("bob:pw").utf8)), "bob")
        XCTAssertNil(run(m, ["basic " + Base64.encode(Array("bob:pw".utf8))]).0)
        XCTAssertEqual(m.verified.count, 2, "keyed by the exact header bytes")
        XCTAssertNotNil(run(m, [basic("bob:pw2")]).0, "a cached success does not leak to other passwords")
    }

    func testCachedCheckSkipsBcrypt() {
        // Cost 12 (python's default): ~0.2 s per check; the cached answer must not pay it again.
        guard let m = make(TraefikBasicAuth(users: ["u:$2b$12$KQAwYOi4ICY.M.1lyM59HOCNKmK5EhPiQ.CTugbcHqakOpmPLGOkG"])) else { return }
        let header = Array(basic("u:pw").utf8)
        let start = DispatchTime.now().uptimeNanoseconds
        XCTAssertEqual(m.authenticate(header), "u")
        let first = DispatchTime.now().uptimeNanoseconds - start
        let again = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<10 { XCTAssertEqual(m.authenticate(header), "u") }
        let tenCached = DispatchTime.now().uptimeNanoseconds - again
        XCTAssertLessThan(tenCached, first, "ten cached answers cost less than one bcrypt check")
    }

    func testCacheIsBoundedOldestFirst() {
        var cache = VerifiedCredentials(capacity: 3)
        for i in 0..<5 { cache.remember(Array("k\(i)".utf8), user: "u\(i)") }
        XCTAssertEqual(cache.count, 3)
        XCTAssertNil(cache.user(for: Array("k0".utf8)))
        XCTAssertNil(cache.user(for: Array("k1".utf8)))
        XCTAssertEqual(cache.user(for: Array("k4".utf8)), "u4")
        cache.remember(Array("k2".utf8), user: "u2")   // already there: no reinsertion
        cache.remember(Array("k5".utf8), user: "u5")
        XCTAssertNil(cache.user(for: Array("k2".utf8)))
        XCTAssertEqual(cache.count, 3)
        cache.remember([UInt8](repeating: 0x41, count: VerifiedCredentials.maximumValueBytes + 1), user: "long")
        XCTAssertNil(cache.user(for: [UInt8](repeating: 0x41, count: VerifiedCredentials.maximumValueBytes + 1)))
    }
}
