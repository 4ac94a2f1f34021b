// Peeking at a connection's first bytes to route it before any byte goes upstream: is it TLS, and if so,
// which server name (SNI, RFC 6066 §3) and application protocols (ALPN, RFC 7301) does its ClientHello ask
// for? Traefik does the same (pkg/server/router/tcp/router.go clientHelloInfo) by running Go's TLS server
// over the peeked bytes; here a small parser reads only what routing needs. Nothing is consumed: the engine
// keeps the bytes and replays them to whichever upstream the route picks.

/// What the first bytes of a connection say.
public enum ClientHelloPeek: Equatable, Sendable {
    /// A TLS record has begun and its declared lengths say more bytes are coming; read more and peek again
    /// (never returned once `ClientHello.maximumPeekBytes` are buffered).
    case needMore
    /// The first byte is not a TLS handshake record (0x16) or the record's version is not 3.x: plain TCP
    /// or HTTP; route it as a non-TLS connection.
    case notTLS
    /// A complete ClientHello. `serverName` is the SNI host name, lower-cased; nil when the client sent none.
    /// `alpn` lists the offered protocols in the client's order; empty without the extension.
    case hello(serverName: String?, alpn: [String])
    /// Starts like TLS but is not a well-formed ClientHello (or does not fit the peek buffer). Traefik
    /// treats such a connection as TLS without SNI: only HostSNI(`*`) TLS routers can match it.
    case malformed
}

public enum ClientHello {
    /// The most bytes a peek may need: one full-size record (2^14 bytes, RFC 8446 §5.1) and its 5-byte
    /// header. Real ClientHellos, even with post-quantum key shares (~1.8 KB), fit many times over; a
    /// client that wants more is refused (`malformed`) rather than letting it make us buffer without end.
    public static let maximumPeekBytes = 16 * 1024 + 5

    static let recordHeaderLength = 5
    static let maximumRecordLength = 1 << 14
    static let handshakeContentType: UInt8 = 0x16
    static let clientHelloMessageType: UInt8 = 1
    static let handshakeHeaderLength = 4

    /// Classifies `bytes`, the start of a connection (everything read so far). Pure and total: any input,
    /// however short, long or hostile, gives one of the four answers without trapping.
    public static func peek(_ bytes: [UInt8]) -> ClientHelloPeek {
        guard let first = bytes.first else { return .needMore }
        guard first == handshakeContentType else { return .notTLS }
        if bytes.count >= 2 && bytes[1] != 3 { return .notTLS }
        if bytes.count >= 3 && !isTLSVersion(bytes[1], bytes[2]) { return .notTLS }
        switch handshakeMessage(bytes) {
        case .needMore: return bytes.count < maximumPeekBytes ? .needMore : .malformed
        case .malformed: return .malformed
        case .complete(let message):
            var body = TLSWireReader(message, start: handshakeHeaderLength)
            guard let fields = ClientHelloFields.parse(&body) else { return .malformed }
            return .hello(serverName: fields.serverName, alpn: fields.alpn)
        }
    }

    /// Record-layer versions a ClientHello is sent with: 3.0 (SSL 3) to 3.4; clients use 3.1 or 3.3.
    static func isTLSVersion(_ major: UInt8, _ minor: UInt8) -> Bool {
        major == 3 && minor <= 4
    }

    enum Reassembly {
        case needMore
        case malformed
        /// The handshake message, header included, exactly as long as its header says.
        case complete([UInt8])
    }

    /// Joins the fragments of the first handshake message across as many handshake records as it spans
    /// (RFC 8446 §5.1 lets a client split it; records of other types may not interleave).
    static func handshakeMessage(_ bytes: [UInt8]) -> Reassembly {
        var message: [UInt8] = []
        var messageLength: Int? = nil  // header + body, known once the 4-byte header is in
        var offset = 0
        while true {
            if let length = messageLength, message.count >= length {
                return .complete(Array(message.prefix(length)))
            }
            var header = TLSWireReader(bytes, start: offset)
            guard let type = header.u8(), let major = header.u8(), let minor = header.u8(),
                  let recordLength = header.u16() else { return .needMore }
            // The first record's type and version were checked by the caller (and answer notTLS).
            guard type == handshakeContentType, isTLSVersion(major, minor) else { return .malformed }
            // Zero-length handshake fragments are forbidden (RFC 8446 §5.1); over 2^14 is record_overflow.
            guard recordLength > 0, recordLength <= maximumRecordLength else { return .malformed }
            let start = offset + recordHeaderLength
            let available = min(recordLength, bytes.count - start)
            message += bytes[start..<start + available]
            if messageLength == nil, message.count >= handshakeHeaderLength {
                guard message[0] == clientHelloMessageType else { return .malformed }
                let bodyLength = Int(message[1]) << 16 | Int(message[2]) << 8 | Int(message[3])
                let length = handshakeHeaderLength + bodyLength
                guard recordHeaderLength + length <= maximumPeekBytes else { return .malformed }
                messageLength = length
            }
            if available < recordLength {
                if let length = messageLength, message.count >= length { continue }
                return .needMore
            }
            offset = start + recordLength
        }
    }
}
