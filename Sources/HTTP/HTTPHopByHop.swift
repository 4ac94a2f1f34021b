// Fields a proxy must not forward (RFC 9110 §7.6.1), as Go's httputil.ReverseProxy removes them: the fixed list
// plus every field the Connection header names. Looking them up here keeps the rewrite loop allocation-free.

extension Array where Element == HTTPHeaderField {
    /// The first field called `name` (ASCII case-insensitive), or nil.
    public func first(named name: StaticString, in buffer: UnsafeRawBufferPointer) -> HTTPHeaderField? {
        first { HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: buffer[$0.name]), name) }
    }

    public func first(named name: StaticString, in buffer: [UInt8]) -> HTTPHeaderField? {
        buffer.withUnsafeBytes { first(named: name, in: $0) }
    }
}

public enum HTTPHopByHop {
    /// True for Connection, Proxy-Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, Te, Trailer,
    /// Transfer-Encoding and Upgrade (Go's hopHeaders), or a name listed in one of `fields`' Connection values.
    /// The proxy re-adds what it needs itself (Transfer-Encoding for the framing it forwards, Upgrade for
    /// WebSocket handshakes, TE: trailers).
    public static func isHopByHop(_ field: HTTPHeaderField, among fields: [HTTPHeaderField],
                                  in buffer: UnsafeRawBufferPointer) -> Bool {
        let name = UnsafeRawBufferPointer(rebasing: buffer[field.name])
        for fixed: StaticString in ["connection", "proxy-connection", "keep-alive", "proxy-authenticate",
                                    "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]
        where HTTPASCII.equalsIgnoringCase(name, fixed) {
            return true
        }
        for candidate in fields
        where HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: buffer[candidate.name]), "connection") {
            var listed = false
            HTTPASCII.forEachListElement(buffer, candidate.value) { element in
                if !listed, HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: buffer[element]), name) {
                    listed = true
                }
            }
            if listed { return true }
        }
        return false
    }
}
