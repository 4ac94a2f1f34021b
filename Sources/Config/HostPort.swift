import Glibc

// Listening and upstream addresses as stoep's config writes them. Only numeric hosts are accepted:
// stoep has no blocking resolver on its single thread, so a host name could never be looked up.

/// A numeric host and a port: `127.0.0.1:7000`, `[::1]:7000`, or `:7000` for all interfaces.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (IPv6 without brackets); "" means all interfaces.
    public var host: String
    public var port: UInt16
    public var isIPv6: Bool

    public init(host: String, port: UInt16, isIPv6: Bool) {
        self.host = host
        self.port = port
        self.isIPv6 = isIPv6
    }

    /// Whether this listens on every interface (`:port`).
    public var isAnyHost: Bool { host.isEmpty }

    /// `host:port`, `[v6]:port` or `:port`: the form `parse` accepts.
    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `a.b.c.d:port`, `[ipv6]:port` or `:port`. Returns nil for host names, IPv6 without
    /// brackets, zone suffixes, and ports outside 1...65535 (port 0 would mean "any free port").
    public static func parse(_ text: String) -> HostPort? {
        let bytes = Array(text.utf8)
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")), let port = parsePort(bytes[(colon + 1)...]) else { return nil }
        let hostBytes = bytes[..<colon]
        if hostBytes.isEmpty {
            return HostPort(host: "", port: port, isIPv6: false)
        }
        if hostBytes.first == UInt8(ascii: "[") {
            guard hostBytes.count > 2, hostBytes.last == UInt8(ascii: "]") else { return nil }
            let inner = String(decoding: hostBytes.dropFirst().dropLast(), as: UTF8.self)
            return isNumeric(inner, family: AF_INET6) ? HostPort(host: inner, port: port, isIPv6: true) : nil
        }
        let host = String(decoding: hostBytes, as: UTF8.self)
        return isNumeric(host, family: AF_INET) ? HostPort(host: host, port: port, isIPv6: false) : nil
    }

    /// Whether two listeners would compete for the same port: same port and same host, or either
    /// listening on all interfaces.
    public func overlaps(_ other: HostPort) -> Bool {
        port == other.port && (host == other.host || isAnyHost || other.isAnyHost)
    }

    /// Decimal 1...65535, digits only (no sign, no spaces).
    private static func parsePort(_ digits: ArraySlice<UInt8>) -> UInt16? {
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(\.isDecimalDigit) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (1...65535).contains(value) ? UInt16(value) : nil
    }

    /// inet_pton accepts exactly the numeric forms (dotted quad without leading zeros; RFC 4291 text).
    private static func isNumeric(_ host: String, family: Int32) -> Bool {
        // A NUL would end the C string early and let "1.2.3.4\0junk" pass.
        guard !host.utf8.contains(0) else { return false }
        var storage = in6_addr()
        return withUnsafeMutableBytes(of: &storage) { buffer in
            inet_pton(family, host, buffer.baseAddress) == 1
        }
    }
}
