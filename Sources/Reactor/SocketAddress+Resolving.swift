// Host names to socket addresses: the one getaddrinfo of stoep. It blocks (it may ask a DNS server, even
// stoep's own), so it is called only while a configuration is loaded, never from a handler on the loop;
// callers say in a warning that a name was resolved once (Traefik resolves per connection).
import CStoep
import Glibc

extension SocketAddress {
    /// `host` (a name or a numeric address) with `port`: getaddrinfo's first stream address, any family,
    /// as the IP and the port alone (no IPv6 scope or flow label); nil when it does not resolve.
    /// Blocking: call only at load time.
    public static func resolving(host: String, port: UInt16) -> SocketAddress? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &results) == 0, let first = results else { return nil }
        defer { freeaddrinfo(results) }
        guard let sa = first.pointee.ai_addr else { return nil }
        return SocketAddress(ipOf: sa, port: port)
    }

    /// The IP address of `sa` (IPv4 or IPv6) with `port`; nil for other families.
    init?(ipOf sa: UnsafePointer<sockaddr>, port: UInt16) {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            self.init(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_in>.size))
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        case AF_INET6:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            a.sin6_addr = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            self.init(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_in6>.size))
            withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: a) { dst.copyMemory(from: $0) } }
        default:
            return nil
        }
    }

    /// The IP address as numeric text ("10.0.0.1", "fd00::1"), without the port; nil for a unix path.
    public var ipText: String? {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok: Bool = withUnsafePointer(to: storage) { p in
            switch Int32(storage.ss_family) {
            case AF_INET:
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { s in
                    withUnsafePointer(to: s.pointee.sin_addr) { inet_ntop(AF_INET, $0, &buf, socklen_t(buf.count)) != nil }
                }
            case AF_INET6:
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                    withUnsafePointer(to: s.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, &buf, socklen_t(buf.count)) != nil }
                }
            default:
                return false
            }
        }
        guard ok else { return nil }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
