// The IP addresses of network interfaces by name (getifaddrs), for dnsmasq's `interface=` lines.
import Glibc

enum InterfaceAddresses {
    /// Numeric addresses of every interface in `names` (IPv6 link-local addresses are skipped: they need
    /// a scope to bind and clients do not use them for DNS).
    static func of(_ names: [String]) -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var p = list
        while let entry = p {
            defer { p = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr, let cname = entry.pointee.ifa_name else { continue }
            let name = String(cString: cname)
            guard names.contains(name) else { continue }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { s in
                    var a = s.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
                }
            case AF_INET6:
                let linkLocal = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s -> Bool in
                    var a = s.pointee.sin6_addr
                    let first = withUnsafeBytes(of: &a) { $0[0] == 0xFE && ($0[1] & 0xC0) == 0x80 }
                    _ = inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
                    return first
                }
                if linkLocal { continue }
            default:
                continue
            }
            let text = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !out.contains(text) { out.append(text) }
        }
        return out
    }
}
