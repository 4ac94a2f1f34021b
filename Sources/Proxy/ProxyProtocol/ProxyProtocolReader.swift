// Reading a PROXY protocol header (haproxy doc/proxy-protocol.txt) from the first bytes of a connection,
// deciding exactly as go-proxyproto v0.12.0 decides for Traefik 3.7 (header.go Read, v1.go parseVersion1,
// v2.go parseVersion2):
// - No header is not an error: bytes that do not start with a signature belong to the application.
//   Deciding needs 1 byte; 5 when the first is 'P' or '\r'; 12 when those 5 are not "PROXY".
// - v1 ("PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n") must have arrived whole in what was read so far, and be at
//   most 107 bytes: go-proxyproto refuses a line split across reads (slow-loris hardening) — so does this.
// - v2 (12-byte signature, version/command, family, 16-bit length) waits for its declared length, at most
//   4096 bytes (go-proxyproto's maxV2HeaderSize). LOCAL and UNKNOWN headers carry no address: the
//   connection's own peer stays the client. TLVs are skipped.
// Pure and total: any input gives one answer without trapping; the caller consumes `length` bytes.
import Reactor

public enum ProxyProtocolRead: Equatable {
    /// Too few bytes to decide yet.
    case needMore
    /// No PROXY header: every byte is the application's.
    case absent
    /// A header of `length` bytes. `source`/`destination` are the client and the address it connected to;
    /// nil for LOCAL (v2), UNKNOWN (v1) and unix-socket headers.
    case header(length: Int, source: SocketAddress?, destination: SocketAddress?)
    /// A header that starts with a signature but is broken: the connection is dropped.
    case malformed(String)

    public static func == (a: ProxyProtocolRead, b: ProxyProtocolRead) -> Bool {
        switch (a, b) {
        case (.needMore, .needMore), (.absent, .absent): return true
        case (.malformed(let x), .malformed(let y)): return x == y
        case (.header(let l1, let s1, let d1), .header(let l2, let s2, let d2)):
            return l1 == l2 && s1?.description == s2?.description && d1?.description == d2?.description
        default: return false
        }
    }
}

public enum ProxyProtocolReader {
    static let v1Signature = Array("PROXY".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n": the longest v1 line the spec allows.
    static let v1MaximumLength = 107
    /// go-proxyproto's maxV2HeaderSize: the most address and TLV bytes a v2 header may declare.
    static let v2MaximumPayload = 4096
    static let v2FixedLength = 16
    /// The most bytes a header can take: what a reader must be ready to look at.
    public static let maximumLength = v2FixedLength + v2MaximumPayload

    /// Classifies `bytes`, everything received so far on a new connection (not consumed).
    public static func read(_ bytes: [UInt8]) -> ProxyProtocolRead {
        guard let first = bytes.first else { return .needMore }
        guard first == v1Signature[0] || first == v2Signature[0] else { return .absent }
        guard bytes.count >= 5 else { return .needMore }
        if bytes.starts(with: v1Signature) { return readV1(bytes) }
        guard bytes.count >= 12 else { return .needMore }
        return bytes.starts(with: v2Signature) ? readV2(bytes) : .absent
    }

    static func readV1(_ bytes: [UInt8]) -> ProxyProtocolRead {
        guard let lf = bytes.prefix(v1MaximumLength).firstIndex(of: UInt8(ascii: "\n")) else {
            return .malformed(bytes.count >= v1MaximumLength ? "v1 header longer than 107 bytes"
                                                             : "v1 header not received whole in one read")
        }
        guard lf >= 1, bytes[lf - 1] == UInt8(ascii: "\r") else { return .malformed("v1 header must end with CRLF") }
        let line = String(decoding: bytes[0..<lf - 1], as: UTF8.self)
        let tokens = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 2 else { return .malformed("v1 header without protocol") }
        let v6: Bool
        switch tokens[1] {
        case "TCP4": v6 = false
        case "TCP6": v6 = true
        case "UNKNOWN": return .header(length: lf + 1, source: nil, destination: nil)
        default: return .malformed("v1 protocol \(tokens[1]) is not TCP4, TCP6 or UNKNOWN")
        }
        guard tokens.count >= 6 else { return .malformed("v1 header without addresses and ports") }
        guard let sourcePort = port(tokens[4]), let destinationPort = port(tokens[5]) else {
            return .malformed("v1 port out of range")
        }
        guard let source = address(tokens[2], port: sourcePort, v6: v6),
              let destination = address(tokens[3], port: destinationPort, v6: v6) else {
            return .malformed("v1 address does not match \(tokens[1])")
        }
        return .header(length: lf + 1, source: source, destination: destination)
    }

    /// Go's strconv.Atoi then 0...65535: an optional sign and decimal digits.
    static func port(_ text: String) -> UInt16? {
        guard let n = Int(text), n >= 0, n <= 65535 else { return nil }
        return UInt16(n)
    }

    /// TCP4 takes IPv4 only; TCP6 takes IPv6, and IPv4 promoted to IPv4-mapped IPv6 (nginx writes those;
    /// go-proxyproto parseV1IPAddress accepts them).
    static func address(_ text: String, port: UInt16, v6: Bool) -> SocketAddress? {
        guard !text.isEmpty, let parsed = SocketAddress(host: text, port: port) else { return nil }
        let isV4 = parsed.ipv4 != nil
        if !v6 { return isV4 ? parsed : nil }
        guard isV4, let bytes = parsed.ipBytes else { return parsed }
        return SocketAddress(ipBytes: [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + bytes, port: port)
    }

    enum Command: UInt8 {
        case local = 0x20
        case proxy = 0x21
    }

    static func readV2(_ bytes: [UInt8]) -> ProxyProtocolRead {
        guard bytes.count >= v2FixedLength else { return .needMore }
        guard let command = Command(rawValue: bytes[12]) else { return .malformed("v2 version/command byte \(bytes[12]) unsupported") }
        let family = bytes[13]
        let length = Int(bytes[14]) << 8 | Int(bytes[15])
        // The address block each family needs (Go's validateLength): inet 12, inet6 36, unix 216, unspec 0.
        // The transport nibble (stream, datagram) is not checked, as go-proxyproto does not check it.
        let needed: Int
        switch family >> 4 {
        case 0: needed = 0
        case 1: needed = 12
        case 2: needed = 36
        case 3: needed = 216
        default: return .malformed("v2 address family \(family >> 4) unsupported")
        }
        if family == 0 && command != .local { return .malformed("v2 UNSPEC is only valid with LOCAL") }
        guard length >= needed else { return .malformed("v2 length \(length) too short for its address family") }
        guard length <= v2MaximumPayload else { return .malformed("v2 length \(length) over 4096") }
        let total = v2FixedLength + length
        guard bytes.count >= total else { return .needMore }
        guard command == .proxy else { return .header(length: total, source: nil, destination: nil) }
        let block = Array(bytes[v2FixedLength..<v2FixedLength + needed])
        func port(_ at: Int) -> UInt16 { UInt16(block[at]) << 8 | UInt16(block[at + 1]) }
        switch family >> 4 {
        case 1:
            return .header(length: total, source: SocketAddress(ipBytes: Array(block[0..<4]), port: port(8)),
                           destination: SocketAddress(ipBytes: Array(block[4..<8]), port: port(10)))
        case 2:
            return .header(length: total, source: SocketAddress(ipBytes: Array(block[0..<16]), port: port(32)),
                           destination: SocketAddress(ipBytes: Array(block[16..<32]), port: port(34)))
        default:
            // Unix sockets: no IP to stand for the client; the connection's peer stays it.
            return .header(length: total, source: nil, destination: nil)
        }
    }
}
