// What HTTP matchers read from a request. The HTTP layer conforms its own request type (no copies), or
// builds a `RuleRequestValues`. Every property has the meaning Traefik's matchers see; the contracts below
// say which normalisation the conformer owes.
import HTTP
public protocol RuleRequest {
    /// Request method exactly as sent ("GET"); Method() compares upper-cased rule values against it.
    var method: String { get }
    /// Canonical host: Host header with port and one trailing dot removed, trimmed, lower-cased
    /// (`RuleHost.canonical`). Empty when the request carried no host.
    var host: String { get }
    /// Routing path: the raw path without query, percent-decoded except reserved characters (`RoutingPath`).
    var path: String { get }
    /// Decoded values of query parameter `key` in request order; nil when the key is absent.
    /// `?a` and `?a=` both give [""] for "a".
    func queryValues(forKey key: String) -> [String]?
    /// Values of every header line named `name` (ASCII case-insensitive), in order; [] when absent.
    func headerValues(named name: String) -> [String]
    /// TCP peer address (never X-Forwarded-For); nil when unknown (ClientIP then never matches).
    var clientIP: ClientIP? { get }
}

/// A self-contained request for tests, tooling and callers that already hold owned strings.
public struct RuleRequestValues: RuleRequest {
    public var method: String
    public var host: String
    public var path: String
    public var query: [(key: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var clientIP: ClientIP?

    /// `hostHeader` is canonicalised here; `path` must already be a routing path; `rawQuery` is decoded here.
    public init(method: String = "GET", hostHeader: String = "", path: String = "/", rawQuery: String = "",
                headers: [(name: String, value: String)] = [], clientIP: ClientIP? = nil) {
        self.method = method
        self.host = RuleHost.canonical(hostHeader)
        self.path = path
        self.query = QueryString.decode(rawQuery)
        self.headers = headers
        self.clientIP = clientIP
    }

    /// Splits a request target ("/a%20b?x=1") into routing path and query. Nil when the path has broken
    /// percent-encoding — Traefik answers such requests 400 Bad Request before routing.
    public init?(method: String, target: String, hostHeader: String,
                 headers: [(name: String, value: String)] = [], clientIP: ClientIP? = nil) {
        let utf8 = target.utf8
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = String(decoding: utf8[utf8.startIndex..<(queryStart ?? utf8.endIndex)], as: UTF8.self)
        let rawQuery = queryStart.map { String(decoding: utf8[utf8.index(after: $0)...], as: UTF8.self) } ?? ""
        guard let path = RoutingPath.make(fromEscaped: rawPath) else { return nil }
        self.init(method: method, hostHeader: hostHeader, path: path, rawQuery: rawQuery, headers: headers,
                  clientIP: clientIP)
    }

    public func queryValues(forKey key: String) -> [String]? {
        let values = query.filter { $0.key == key }.map(\.value)
        return values.isEmpty ? nil : values
    }

    public func headerValues(named name: String) -> [String] {
        headers.filter { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) }.map(\.value)
    }
}

/// Host header canonicalisation (Traefik's requestdecorator.parseHost + types.CanonicalDomain).
public enum RuleHost {
    /// "Example.COM:8080" -> "example.com", "[::1]:80" -> "::1", "a.lan." -> "a.lan".
    /// Stripping the trailing dot here is stoep's choice: Traefik keeps it and lets Host() tolerate it.
    public static func canonical(_ hostHeader: String) -> String {
        if let fast = hostHeader.utf8.withContiguousStorageIfAvailable({ canonicalASCII(UnsafeRawBufferPointer($0)) }),
           let fast { return fast }
        return canonicalCharacters(hostHeader)
    }

    /// `canonical` on Characters: any host, Unicode lower-casing.
    static func canonicalCharacters(_ hostHeader: String) -> String {
        var host = Substring(hostHeader)
        if host.contains(":") {
            if host.first == "[" {
                // "[v6]:port" or "[v6]": keep what is inside the brackets.
                if let close = host.firstIndex(of: "]") { host = host[host.index(after: host.startIndex)..<close] }
            } else if host.firstIndex(of: ":") == host.lastIndex(of: ":"), let colon = host.firstIndex(of: ":") {
                host = host[..<colon]
            }
            // More than one colon and no brackets: a bare IPv6 address, kept as is (Go: SplitHostPort fails).
        }
        while let first = host.first, first == " " || first == "\t" { host = host.dropFirst() }
        while let last = host.last, last == " " || last == "\t" { host = host.dropLast() }
        if host.last == "." { host = host.dropLast() }
        return host.lowercased()
    }

    /// `canonical` of a Host field given as its bytes (the proxy's request head).
    public static func canonical(bytes: UnsafeRawBufferPointer) -> String {
        canonicalASCII(bytes) ?? canonical(String(decoding: bytes, as: UTF8.self))
    }

    /// The same steps on the bytes of an all-ASCII host (every real Host field): no Character iteration and
    /// one String made at the end (8.9 % of a small request's instructions went to the String version).
    /// Nil when a byte is not ASCII: the String version then decides, with Unicode lower-casing.
    static func canonicalASCII(_ p: UnsafeRawBufferPointer) -> String? {
        var colons = 0, firstColon = -1, upper = false
        for i in 0..<p.count {
            let b = p[i]
            if b >= 0x80 { return nil }
            if b == UInt8(ascii: ":") {
                colons += 1
                if firstColon < 0 { firstColon = i }
            }
            if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { upper = true }
        }
        var lo = 0, hi = p.count
        if colons > 0 {
            if p[0] == UInt8(ascii: "[") {
                // "[v6]:port" or "[v6]": keep what is inside the brackets.
                if let close = (0..<p.count).first(where: { p[$0] == UInt8(ascii: "]") }) { (lo, hi) = (1, close) }
            } else if colons == 1 {
                hi = firstColon
            }
            // More than one colon and no brackets: a bare IPv6 address, kept as is.
        }
        while lo < hi, p[lo] == HTTPASCII.sp || p[lo] == 0x09 { lo += 1 }
        while hi > lo, p[hi - 1] == HTTPASCII.sp || p[hi - 1] == 0x09 { hi -= 1 }
        if hi > lo, p[hi - 1] == UInt8(ascii: ".") { hi -= 1 }
        let part = UnsafeRawBufferPointer(rebasing: p[lo..<hi])
        if !upper { return String(decoding: part, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: part.count) { out in
            for i in 0..<part.count {
                let b = part[i]
                out[i] = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
            }
            return part.count
        }
    }
}
