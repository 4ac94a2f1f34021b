// An IP socket address taken apart and put together from its wire bytes: a PROXY protocol v2 header carries
// addresses as 4 or 16 raw bytes and ports as big-endian 16-bit numbers (haproxy doc/proxy-protocol.txt
// §2.2), and a UDP entry point keys its sessions by the client's address and port.
import Glibc

extension SocketAddress {
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address with `port`; nil for any other length.
    public init?(ipBytes bytes: [UInt8], port: UInt16) {
        self.init(storage: sockaddr_storage(), length: 0)
        switch bytes.count {
        case 4:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin_addr) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case 16:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: a, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        default:
            return nil
        }
    }

    /// The IP address's bytes: 4 for IPv4, 16 for IPv6; nil for other families.
    public var ipBytes: [UInt8]? {
        withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET: return Array(raw[MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!...].prefix(4))
            case AF_INET6: return Array(raw[MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!...].prefix(16))
            default: return nil
            }
        }
    }

    /// The port of an IPv4 or IPv6 address; nil for other families.
    public var port: UInt16? {
        withUnsafePointer(to: storage) { p in
            switch Int32(storage.ss_family) {
            case AF_INET: return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6: return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default: return nil
            }
        }
    }

    /// The same address as an IPv4 one when it is an IPv4-mapped IPv6 address (::ffff:a.b.c.d); else itself.
    public var unmapped: SocketAddress {
        guard let bytes = ipBytes, bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff,
              let v4 = SocketAddress(ipBytes: Array(bytes[12...]), port: port ?? 0) else { return self }
        return v4
    }
}

/// A socket address as a dictionary key: family, IP bytes and port (unix paths by their bytes).
public struct SocketAddressKey: Hashable, Sendable {
    private let bytes: [UInt8]

    public init(_ address: SocketAddress) {
        var key = [UInt8(truncatingIfNeeded: address.family)]
        if let ip = address.ipBytes, let port = address.port {
            key += ip
            key += [UInt8(port >> 8), UInt8(port & 0xff)]
        } else {
            key += address.description.utf8
        }
        bytes = key
    }
}
