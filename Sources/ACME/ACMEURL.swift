// An https URL as the ACME client needs it: host, port, the request target, and the Host header.
// The directory and every URL the CA returns (Location, order, authorization, challenge, certificate)
// are absolute https URLs (RFC 8555 §7.1); anything else is refused where it is read.

public struct ACMEURL: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    /// The path and query ("/acme/order/1"), "/" when empty.
    public let target: String
    public let text: String

    public init?(_ text: String) {
        guard text.hasPrefix("https://") else { return nil }
        let rest = text.dropFirst("https://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        target = authorityEnd == rest.endIndex ? "/" : (rest[authorityEnd] == "?" ? "/" : "") + String(rest[authorityEnd...])
        var hostPart = Substring(authority)
        var portValue: UInt16 = 443
        if authority.hasPrefix("[") {  // [::1]:14000
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = UInt16(after.dropFirst()) else { return nil }; portValue = p }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]) else { return nil }
            portValue = p
            hostPart = authority[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { return nil }
        host = hostPart.lowercased()
        port = portValue
        self.text = text
    }

    /// The Host header: the authority as written, port only when not 443.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? h : "\(h):\(port)"
    }

    public var description: String { text }
}
