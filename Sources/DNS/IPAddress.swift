// IPv4 and IPv6 addresses as plain values: parsed from text with inet_pton (the same
// parser dnsmasq uses, so the accepted forms match), printed with inet_ntop (the same
// text dnsmasq logs), and turned into reverse-lookup names (RFC 1035 3.5, RFC 3596 2.5).
import Glibc
import Reactor

/// An IPv4 address in network byte order semantics: `value` 0x0A000001 is 10.0.0.1.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }
    /// Parses dotted-quad text; nil for anything inet_pton(AF_INET) rejects.
    public init?(_ text: String) {
        var raw = in_addr()
        guard text.withCString({ inet_pton(AF_INET, $0, &raw) }) == 1 else { return nil }
        value = UInt32(bigEndian: raw.s_addr)
    }
    public static let any = IPv4Address(0)
    /// Appends the 4 bytes in network order (no intermediate array: used per answer record).
    public func append(to out: inout [UInt8]) {
        out.append(UInt8(value >> 24)); out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8)); out.append(UInt8(truncatingIfNeeded: value))
    }
    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                                 UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
    public var description: String {
        "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
    }
}

/// An IPv6 address as two 64-bit halves (`high` holds the first 8 bytes).
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    /// Parses any form inet_pton(AF_INET6) accepts (`::`, embedded IPv4); nil otherwise.
    public init?(_ text: String) {
        var raw = in6_addr()
        guard text.withCString({ inet_pton(AF_INET6, $0, &raw) }) == 1 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        withUnsafeBytes(of: &raw) { buffer in
            for i in 0..<8 { h = h << 8 | UInt64(buffer[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(buffer[i]) }
        }
        high = h
        low = l
    }
    public static let any = IPv6Address(high: 0, low: 0)
    /// Appends the 16 bytes in network order (no intermediate array: used per answer record).
    public func append(to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
    }
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        append(to: &out)
        return out
    }
    /// RFC 5952 text, as inet_ntop prints it.
    public var description: String {
        var raw = in6_addr()
        let source = bytes
        withUnsafeMutableBytes(of: &raw) { buffer in
            for i in 0..<16 { buffer[i] = source[i] }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &raw, &text, socklen_t(INET6_ADDRSTRLEN)) != nil else { return "::" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Either family; the zone, the configuration and the log formatter all use this.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 first, then IPv6; nil when neither accepts the text.
    public init?(_ text: String) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }
    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
    /// The PTR owner name: `d.c.b.a.in-addr.arpa` or 32 nibbles under `ip6.arpa`.
    public var reverseName: DNSName {
        var labels: [String] = []
        switch self {
        case .v4(let a):
            labels = a.bytes.reversed().map { String($0) } + ["in-addr", "arpa"]
        case .v6(let a):
            let hex: [Character] = Array("0123456789abcdef")
            for byte in a.bytes.reversed() {
                labels.append(String(hex[Int(byte & 0x0F)]))
                labels.append(String(hex[Int(byte >> 4)]))
            }
            labels += ["ip6", "arpa"]
        }
        // Every label is 1-7 ASCII characters: this cannot fail.
        return (try? DNSName(text: labels.joined(separator: "."))) ?? .root
    }
}

extension IPAddress {
    /// The IP address of a datagram's sender or a connection's peer, its port dropped; nil for an address
    /// of another family (a unix socket).
    public init?(_ address: SocketAddress) {
        if let v4 = address.ipv4 {
            self = .v4(IPv4Address(v4))
        } else if let v6 = address.ipv6 {
            self = .v6(IPv6Address(high: v6.high, low: v6.low))
        } else {
            return nil
        }
    }
}
