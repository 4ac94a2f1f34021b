// The client connection preface of HTTP/2 (RFC 9113 §3.4): how an h2c client with prior knowledge (or an h2
// client over TLS that negotiated no ALPN) starts. Its first line reads as an HTTP/1.1 request line
// `PRI * HTTP/2.0`, which is how an HTTP/1.1 session recognises it and hands the connection over; nghttp2
// then checks the whole 24-byte preface itself.
enum HTTP2Preface {
    static let requestLine: [UInt8] = Array("PRI * HTTP/2.0\r\n".utf8)

    /// Whether `bytes` begin with the preface's first line.
    static func starts(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= requestLine.count && zip(bytes, requestLine).allSatisfy { $0 == $1 }
    }
}
