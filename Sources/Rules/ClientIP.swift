// Peer addresses and the IP/CIDR lists of ClientIP(...) (Traefik's pkg/ip Checker). An IPv4-mapped IPv6
// peer (::ffff:a.b.c.d, what a dual-stack socket reports) is treated as the IPv4 address, as Go's
// net.IP.Equal and IPNet.Contains do.
import Glibc

/// An IPv4 or IPv6 address as two 64-bit halves (IPv4 lives in the low 32 bits of `low`).
public struct ClientIP: Hashable, Sendable, CustomStringConvertible {
    public let isIPv4: Bool
    let high: UInt64
    let low: UInt64

    /// Parses "192.0.2.1", "2001:db8::1", "fe80::1%eth0" (zone ignored). Nil for anything else.
    public init?(_ text: String) {
        var address = Substring(text)
        if let percent = address.firstIndex(of: "%"), address.contains(":") { address = address[..<percent] }
        let string = String(address)
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            self.init(ipv4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, string, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        self.init(bytes: bytes)
    }

    /// `address` in host byte order (192.0.2.1 == 0xC000_0201).
    public init(ipv4 address: UInt32) {
        isIPv4 = true
        high = 0
        low = UInt64(address)
    }

    /// 4 bytes (IPv4) or 16 bytes (IPv6, network order); nil for other lengths.
    public init?(bytes: [UInt8]) {
        if bytes.count == 4 {
            self.init(ipv4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            return
        }
        guard bytes.count == 16 else { return nil }
        let h = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let l = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if h == 0 && l >> 32 == 0xFFFF {
            self.init(ipv4: UInt32(truncatingIfNeeded: l))  // ::ffff:a.b.c.d
            return
        }
        self.init(v6High: h, low: l)
    }

    private init(v6High: UInt64, low: UInt64) {
        isIPv4 = false
        high = v6High
        self.low = low
    }

    /// Keeps the first `prefix` bits (of 32 or 128), zeroing the rest.
    public func masked(to prefix: Int) -> ClientIP {
        if isIPv4 {
            let mask: UInt64 = prefix <= 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - min(prefix, 32))) & 0xFFFF_FFFF
            return ClientIP(ipv4: UInt32(low & mask))
        }
        let highMask: UInt64 = prefix <= 0 ? 0 : prefix >= 64 ? ~0 : ~0 << UInt64(64 - prefix)
        let lowMask: UInt64 = prefix <= 64 ? 0 : prefix >= 128 ? ~0 : ~0 << UInt64(128 - prefix)
        return ClientIP(v6High: high & highMask, low: low & lowMask)
    }

    public var description: String {
        if isIPv4 {
            return (0..<4).map { String((low >> UInt64(24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
        }
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i)) }
            for i in 0..<8 { raw[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i)) }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A single address or a CIDR network; `contains` compares only within one family.
public struct ClientIPRange: Hashable, Sendable, CustomStringConvertible {
    public let network: ClientIP
    public let prefixLength: Int

    /// "10.0.0.0/8", "2001:db8::/32", or a plain address (a /32 or /128). Host bits of a CIDR are cleared,
    /// as Go's ParseCIDR does ("10.1.2.3/8" is 10.0.0.0/8).
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/") else {
            guard let address = ClientIP(text) else { return nil }
            network = address
            prefixLength = address.isIPv4 ? 32 : 128
            return
        }
        let addressText = String(text[..<slash])
        let prefixText = text[text.index(after: slash)...]
        // Go's ParseCIDR takes no zone and a plain decimal prefix.
        guard !addressText.contains("%"), let address = ClientIP(addressText), !prefixText.isEmpty,
              prefixText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              prefixText.utf8.count <= 3, let prefix = Int(prefixText),
              prefix <= (address.isIPv4 && !addressText.contains(":") ? 32 : 128) else { return nil }
        // An IPv4-mapped network written in IPv6 form stays IPv6 in Go and never contains IPv4 peers.
        if address.isIPv4 && addressText.contains(":") { return nil }
        network = address.masked(to: prefix)
        prefixLength = prefix
    }

    public func contains(_ address: ClientIP) -> Bool {
        address.isIPv4 == network.isIPv4 && address.masked(to: prefixLength) == network
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
