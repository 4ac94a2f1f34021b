// The IP addresses of network interfaces by name (the Reactor's NetworkInterface), for dnsmasq's
// `interface=` lines.
import Reactor

enum InterfaceAddresses {
    /// Numeric addresses of every interface in `names` (IPv6 link-local addresses are skipped: they need
    /// a scope to bind and clients do not use them for DNS).
    static func of(_ names: [String]) -> [String] {
        var out: [String] = []
        for interface in NetworkInterface.all() where names.contains(interface.name) {
            for address in interface.addresses {
                // fe80::/10: the first ten bits 1111 1110 10.
                if let v6 = address.ipv6, v6.high >> 54 == 0b11_1111_1010 { continue }
                if let text = address.ipText, !out.contains(text) { out.append(text) }
            }
        }
        return out
    }
}
