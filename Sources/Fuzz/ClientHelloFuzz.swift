// A connection's first bytes, read before anything goes upstream: the PROXY protocol header (v1 text, v2
// binary) and the TLS ClientHello (SNI, ALPN; fragmented records). Contract checked: the peek is total and
// stable, growing the input never turns a complete hello into another answer.
import Proxy

enum ClientHelloFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        _ = ProxyProtocolReader.read(bytes)
        let peek = ClientHello.peek(bytes)
        if case .hello = peek {
            precondition(ClientHello.peek(bytes + [0x16, 3, 3, 0, 1, 0]) == peek, "trailing bytes changed a complete hello")
        }
        if case .notTLS = peek { precondition(bytes.first != 0x16 || bytes.count >= 2) }
    }
}
