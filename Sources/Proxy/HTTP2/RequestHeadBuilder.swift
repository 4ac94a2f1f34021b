// An h2 request's fields as the HTTP/1.1 head an HTTPSession reads (RFC 9113 §8.3.1 → RFC 9112 §3):
// `:method :path HTTP/1.1`, `Host` from `:authority` exactly as sent (Traefik: port and case kept; a `host`
// field only when there is no `:authority`), the other fields in their order, `cookie` fields joined with
// "; " (RFC 9113 §8.2.3), and `Transfer-Encoding: chunked` for a body without content-length, as Traefik
// sends such a body to an HTTP/1.1 backend. nghttp2 has already refused what HTTP/2 forbids (upper-case
// names, connection-specific fields, CR/LF/NUL in values, misplaced pseudo-fields); the session's HTTP/1.1
// parser then reads the head like any other, so every check it makes applies to h2 requests too.
import HTTP

struct RequestHeadBuilder {
    enum Built {
        case built([UInt8], method: HTTPMethod)
        /// The field section passed SETTINGS_MAX_HEADER_LIST_SIZE: answered 431 (Go's server does).
        case tooLarge
        /// A request stoep does not take over h2 (CONNECT: no tunnels over streams); answered with this status.
        case refused(Int)
    }

    private var method: [UInt8] = []
    private var path: [UInt8] = []
    private var authority: [UInt8]?
    private var host: [UInt8]?
    private var fields: [UInt8] = []
    private var cookies: [UInt8] = []
    private var hasContentLength = false
    /// The size as RFC 9113 §6.5.2 counts it: name + value + 32 per field.
    private var listSize = 0
    private var tooLarge = false

    mutating func add(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
        guard !tooLarge else { return }
        listSize += name.count + value.count + 32
        if listSize > Int(HTTP2Settings.maxHeaderListSize) {
            tooLarge = true
            fields = []
            cookies = []
            return
        }
        if name.first == UInt8(ascii: ":") {
            if equals(name, ":method") { method = Array(value) }
            else if equals(name, ":path") { path = Array(value) }
            else if equals(name, ":authority") { authority = Array(value) }
            return  // :scheme: the entry point's TLS decides, as for HTTP/1.1
        }
        if equals(name, "host") { host = Array(value); return }
        if equals(name, "cookie") {
            if !cookies.isEmpty { cookies += [UInt8(ascii: ";"), UInt8(ascii: " ")] }
            cookies.append(contentsOf: value)
            return
        }
        if equals(name, "content-length") { hasContentLength = true }
        fields.append(contentsOf: name)
        fields += RequestHeadBuilder.colon
        fields.append(contentsOf: value)
        fields += BodyForwarder.crlf
    }

    /// A body follows and its length is not declared: it goes on chunk-framed.
    func wantsChunkedBody(endStream: Bool) -> Bool {
        !endStream && !hasContentLength && !equals(method, "CONNECT")
    }

    func build(chunked: Bool) -> Built {
        if tooLarge { return .tooLarge }
        if equals(method, "CONNECT") { return .refused(405) }
        var out: [UInt8] = []
        out.reserveCapacity(method.count + path.count + fields.count + cookies.count + 64)
        out += method
        out.append(UInt8(ascii: " "))
        out += path
        out += RequestHeadBuilder.version
        if let h = authority ?? host {
            out += RequestHeadBuilder.hostName
            out += h
            out += BodyForwarder.crlf
        }
        out += fields
        if !cookies.isEmpty {
            out += RequestHeadBuilder.cookieName
            out += cookies
            out += BodyForwarder.crlf
        }
        if chunked { out += RequestHeadBuilder.chunkedField }
        out += BodyForwarder.crlf
        return .built(out, method: equals(method, "HEAD") ? .head : .get)
    }

    private func equals<C: Collection>(_ bytes: C, _ text: StaticString) -> Bool where C.Element == UInt8 {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { zip(bytes, $0).allSatisfy { $0 == $1 } }
    }

    static let colon: [UInt8] = Array(": ".utf8)
    static let version: [UInt8] = Array(" HTTP/1.1\r\n".utf8)
    static let hostName: [UInt8] = Array("host: ".utf8)
    static let cookieName: [UInt8] = Array("cookie: ".utf8)
    static let chunkedField: [UInt8] = Array("transfer-encoding: chunked\r\n".utf8)
}
