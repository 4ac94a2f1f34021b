// The body of a ClientHello (RFC 8446 §4.1.2, same layout back to TLS 1.0) read for the two extensions
// routing needs: server_name (type 0, RFC 6066 §3) and application_layer_protocol_negotiation (type 16,
// RFC 7301 §3.1). Strict where Go's crypto/tls is strict (Traefik's reference parser): every vector must
// fit its parent exactly, no extension may appear twice, a host name may not end in a dot. Any violation
// makes the whole hello malformed, as it makes Go's handshake fail and Traefik see no SNI.
struct ClientHelloFields: Equatable {
    var serverName: String?
    var alpn: [String]

    static let serverNameExtension = 0
    static let alpnExtension = 16
    static let hostNameType: UInt8 = 0
    static let randomLength = 32
    static let maximumSessionIDLength = 32

    /// Reads a ClientHello body (after the 4-byte handshake header) to its end; nil when malformed.
    static func parse(_ body: inout TLSWireReader) -> ClientHelloFields? {
        guard let major = body.u8(), major == 3, body.u8() != nil else { return nil }  // legacy_version
        guard body.skip(randomLength) else { return nil }
        guard let sessionID = body.vector8(), sessionID.remaining <= maximumSessionIDLength else { return nil }
        guard let suites = body.vector16(), suites.remaining >= 2, suites.remaining % 2 == 0 else { return nil }
        guard let compression = body.vector8(), compression.remaining >= 1 else { return nil }
        var fields = ClientHelloFields(serverName: nil, alpn: [])
        if body.isAtEnd { return fields }  // TLS 1.0-era hellos may omit extensions entirely
        guard var extensions = body.vector16(), body.isAtEnd else { return nil }
        var seen: [Int] = []
        while !extensions.isAtEnd {
            guard let type = extensions.u16(), var data = extensions.vector16() else { return nil }
            guard !seen.contains(type) else { return nil }
            seen.append(type)
            switch type {
            case serverNameExtension:
                guard let name = hostName(in: &data) else { return nil }
                fields.serverName = name
            case alpnExtension:
                guard let protocols = protocolNames(in: &data) else { return nil }
                fields.alpn = protocols
            default:
                continue
            }
            guard data.isAtEnd else { return nil }
        }
        return fields
    }

    /// `ServerNameList`: the host_name entry, lower-cased. Entries of other (future) name types are
    /// skipped; a second host_name is forbidden by RFC 6066 §3.
    static func hostName(in data: inout TLSWireReader) -> String? {
        guard var list = data.vector16(), !list.isAtEnd else { return nil }
        var hostName: String? = nil
        while !list.isAtEnd {
            guard let type = list.u8(), let length = list.u16(), length > 0,
                  let name = list.take(length) else { return nil }
            guard type == hostNameType else { continue }
            guard hostName == nil, let valid = dnsName(name) else { return nil }
            hostName = valid
        }
        return hostName
    }

    /// A host name as RFC 6066 sends it: ASCII, no trailing dot, labels of 1–63 letters, digits, '-' or
    /// '_' (seen in the wild), at most 253 bytes. Lower-cased, as Traefik's types.CanonicalDomain does.
    static func dnsName(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, bytes.count <= 253 else { return nil }
        var labelLength = 0
        var lowered: [UInt8] = []
        lowered.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0 else { return nil }
                labelLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                labelLength += 1
                guard labelLength <= 63 else { return nil }
            default:
                return nil
            }
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            lowered.append(isUpper ? byte + 32 : byte)
        }
        guard labelLength > 0 else { return nil }  // empty last label: a trailing dot
        return String(decoding: lowered, as: UTF8.self)
    }

    /// `ProtocolNameList`: at least one protocol, each 1–255 bytes, in the client's preference order.
    static func protocolNames(in data: inout TLSWireReader) -> [String]? {
        guard var list = data.vector16(), !list.isAtEnd else { return nil }
        var protocols: [String] = []
        while !list.isAtEnd {
            guard let name = list.vector8(), name.remaining > 0 else { return nil }
            var bytes = name
            guard let raw = bytes.take(bytes.remaining) else { return nil }
            protocols.append(String(decoding: raw, as: UTF8.self))
        }
        return protocols
    }
}
