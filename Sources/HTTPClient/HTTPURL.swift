// An http:// or https:// URL as stoep's own clients need it: the scheme (TLS or not), the host, the port,
// the path and query to send, user info for Basic authentication. The ACME client reads every URL the CA
// hands out with it (RFC 8555 §7.1: absolute https URLs), the DNS-01 httpreq hook its HTTPREQ_ENDPOINT.
// Only what those need is read: no relative references, no percent-decoding of the path (it is sent as
// written), no host name validation beyond "not empty" (the lookup or the connect refuses the rest).

public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public struct UserInfo: Sendable, Equatable {
        public let user: String
        public let password: String
    }

    /// https.
    public let tls: Bool
    /// Lower-cased, an IPv6 literal without its brackets.
    public let host: String
    /// The URL's, else the scheme's (80, 443).
    public let port: UInt16
    /// The path as written ("" when the URL has none), without the query.
    public let path: String
    /// What follows "?", before any "#".
    public let query: String?
    /// What follows "#" (never sent).
    public let fragment: String?
    /// `user:password@` from the authority, percent-decoded (Go's client sends them as Basic authentication).
    public let userInfo: UserInfo?
    /// The URL as it was given.
    public let text: String

    /// `scheme://[user[:password]@]host[:port][/path][?query][#fragment]` with scheme http or https (any
    /// case); nil for another scheme, an empty host, or a port that is not 1–65535.
    public init?(_ text: String) {
        let lower = text.prefix(8).lowercased()
        if lower.hasPrefix("https://") { tls = true } else if lower.hasPrefix("http://") { tls = false } else { return nil }
        var rest = Substring(text.dropFirst(tls ? 8 : 7))
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        } else {
            fragment = nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        if let mark = tail.firstIndex(of: "?") {
            path = String(tail[..<mark])
            query = String(tail[tail.index(after: mark)...])
        } else {
            path = String(tail)
            query = nil
        }
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            let colon = info.firstIndex(of: ":") ?? info.endIndex
            userInfo = UserInfo(user: Self.percentDecoded(info[..<colon]),
                                password: colon < info.endIndex ? Self.percentDecoded(info[info.index(after: colon)...]) : "")
            authority = authority[authority.index(after: at)...]
        } else {
            userInfo = nil
        }
        var hostPart = authority
        var portValue: UInt16 = tls ? 443 : 80
        if authority.hasPrefix("[") {  // [::1]:14000
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = UInt16(after.dropFirst()), p > 0 else { return nil }
                portValue = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { return nil }
            portValue = p
            hostPart = authority[..<colon]
        }
        guard !hostPart.isEmpty else { return nil }
        host = hostPart.lowercased()
        port = portValue
        self.text = text
    }

    /// The request target: path and query, "/" for an empty path (RFC 9112 §3.2.1).
    public var target: String { (path.isEmpty ? "/" : path) + (query.map { "?" + $0 } ?? "") }

    /// The target of `sub` below this URL's path (Go's URL.JoinPath, as lego's httpreq builds
    /// ENDPOINT/present: the path's trailing "/" dropped, then `sub`, which starts with "/").
    public func target(appending sub: String) -> String {
        var base = Substring(path)
        while base.hasSuffix("/") { base = base.dropLast() }
        let joined = base + sub
        return joined.isEmpty ? "/" : String(joined)
    }

    /// The Host header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// `scheme://host[:port]`, for messages (never the user info).
    public var origin: String { "\(tls ? "https" : "http")://\(hostHeader)" }

    public var description: String { origin + target }

    private static func percentDecoded(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
