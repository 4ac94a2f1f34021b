// The PROXY protocol header stoep sends a TCP server before the client's bytes when the service's
// transport asks for it (`proxyProtocol.version`), built as go-proxyproto's HeaderProxyFromAddrs and
// Format build it for Traefik (pkg/tcp/dialer.go): the client's address (the real one when the entry point
// read a PROXY header) and the address it connected to; v1 "PROXY TCP4|TCP6 src dst sport dport\r\n", v2
// binary with command PROXY and family TCP over IPv4/IPv6. Addresses of two families, or none: LOCAL
// (v2) / "PROXY UNKNOWN\r\n" (v1), as go-proxyproto falls back to UNSPEC.
import Reactor

public enum ProxyProtocolWriter {
    public static func header(version: Int, source: SocketAddress?, destination: SocketAddress?) -> [UInt8] {
        let pair: (source: SocketAddress, destination: SocketAddress)?
        if let s = source?.unmapped, let d = destination?.unmapped, let sb = s.ipBytes, let db = d.ipBytes, sb.count == db.count {
            pair = (s, d)
        } else if let s = source, let d = destination, s.ipBytes?.count == 16 || d.ipBytes?.count == 16,
                  let s6 = mapped(s), let d6 = mapped(d) {
            pair = (s6, d6)  // one side IPv6: Go's To4 fails for it, so both go as TCP6
        } else {
            pair = nil
        }
        return version == 1 ? v1(pair) : v2(pair)
    }

    /// An IPv4 address as IPv4-mapped IPv6 (Go's net.IP is 16 bytes either way).
    static func mapped(_ a: SocketAddress) -> SocketAddress? {
        guard let bytes = a.ipBytes else { return nil }
        if bytes.count == 16 { return a }
        return SocketAddress(ipBytes: [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + bytes, port: a.port ?? 0)
    }

    static func v1(_ pair: (source: SocketAddress, destination: SocketAddress)?) -> [UInt8] {
        guard let (s, d) = pair, let sip = s.ipText, let dip = d.ipText else { return Array("PROXY UNKNOWN\r\n".utf8) }
        let family = s.ipv4 != nil ? "TCP4" : "TCP6"
        return Array("PROXY \(family) \(sip) \(dip) \(s.port ?? 0) \(d.port ?? 0)\r\n".utf8)
    }

    static func v2(_ pair: (source: SocketAddress, destination: SocketAddress)?) -> [UInt8] {
        var out = ProxyProtocolReader.v2Signature
        guard let (s, d) = pair, let sb = s.ipBytes, let db = d.ipBytes else {
            out += [ProxyProtocolReader.Command.local.rawValue, 0x00, 0x00, 0x00]
            return out
        }
        let v4 = sb.count == 4
        let length = v4 ? 12 : 36
        out += [ProxyProtocolReader.Command.proxy.rawValue, v4 ? 0x11 : 0x21, 0x00, UInt8(length)]
        out += sb + db
        for port in [s.port ?? 0, d.port ?? 0] { out += [UInt8(port >> 8), UInt8(port & 0xff)] }
        return out
    }
}
