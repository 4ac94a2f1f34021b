// One `server-tls` value (stoep's own key, `[dns]` of stoep's TOML): a DNS-over-TLS upstream written as
// `ADDR[@PORT][#TLS-NAME]` — `9.9.9.9@853#dns.quad9.net`, `[2620:fe::fe]` not needed (`@` never occurs in
// an IPv6 address). The port defaults to 853 (RFC 7858 §3.1). The name after `#` is sent as SNI and is
// the name the certificate must carry; without it the certificate must carry the IP address (an
// IP-address SAN, as Quad9's and Cloudflare's do). Stubby and unbound's forward-zone (`forward-tls-upstream`)
// write the same `ADDR@PORT#NAME` form. The address must be an IP literal: resolving a host name would
// need a resolver before the resolver is up.

public struct DNSTLSServer: Equatable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    /// Verified in the certificate and sent as SNI; nil = verify the IP address (no SNI).
    public var name: String?
    /// "file:line" of the value, for messages.
    public var location: String

    /// RFC 7858 §3.1: the well-known port of DNS over TLS.
    public static let defaultPort: UInt16 = 853

    public init(address: IPAddress, port: UInt16 = DNSTLSServer.defaultPort, name: String? = nil, location: String = "") {
        self.address = address
        self.port = port
        self.name = name
        self.location = location
    }

    /// Parses `ADDR[@PORT][#NAME]`; the error text says what is wrong with the value.
    public static func parse(_ text: String, location: String = "") -> Result<DNSTLSServer, ParseError> {
        var rest = Substring(text)
        var name: String? = nil
        if let hash = rest.firstIndex(of: "#") {
            let n = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
            guard isHostName(n) else {
                return .failure(ParseError("'\(n)' is not a host name to verify (letters, digits, '-' and '.', as in dns.quad9.net)"))
            }
            name = n.hasSuffix(".") ? String(n.dropLast()) : n
        }
        var port = defaultPort
        if let at = rest.firstIndex(of: "@") {
            let p = rest[rest.index(after: at)...]
            guard let n = UInt16(p), n > 0 else { return .failure(ParseError("'\(p)' is not a port (1-65535)")) }
            port = n
            rest = rest[..<at]
        }
        guard !rest.isEmpty else { return .failure(ParseError("needs an IP address, as in \"9.9.9.9@853#dns.quad9.net\"")) }
        guard let address = IPAddress(String(rest)) else {
            return .failure(ParseError("'\(rest)' is not an IP address (host names cannot be resolved before the resolver is up)"))
        }
        return .success(DNSTLSServer(address: address, port: port, name: name, location: location))
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// A DNS host name as certificates carry it: labels of letters, digits and '-' (not at either end),
    /// 1–63 bytes each, 253 in all; a trailing dot is allowed. No wildcard: that is the certificate's side.
    static func isHostName(_ text: String) -> Bool {
        var t = Substring(text)
        if t.hasSuffix(".") { t = t.dropLast() }
        guard !t.isEmpty, t.utf8.count <= 253 else { return false }
        for label in t.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D })
            else { return false }
        }
        return true
    }

    /// The form it was written in, with the port always given: `9.9.9.9@853#dns.quad9.net`. Names the
    /// upstream in stats and log lines.
    public var description: String { "\(address)@\(port)" + (name.map { "#\($0)" } ?? "") }
}
