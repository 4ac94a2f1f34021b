// A parsed request head as the rule matchers and middlewares see it, read straight from the head's bytes;
// each property is computed only when a rule asks for it.
import HTTP
import Rules

struct RequestView: RuleRequest {
    let head: HTTPRequestHead
    let bytes: [UInt8]   // the head, indexed from 0 by the head's ranges
    let clientIP: ClientIP?
    /// The peer may supply X-Forwarded-* (forwardedHeaders.trustedIPs or insecure); an untrusted peer's are
    /// removed before any middleware reads them, as Traefik's forwarded-headers handler removes them.
    let trustedPeer: Bool

    init(head: HTTPRequestHead, bytes: [UInt8], clientIP: ClientIP?, trustedPeer: Bool = false,
         pathAndQuery: (path: String, query: String)) {
        self.head = head
        self.bytes = bytes
        self.clientIP = clientIP
        self.trustedPeer = trustedPeer
        self.pathAndQuery = pathAndQuery
    }

    func text(_ r: Range<Int>) -> String {
        String(decoding: bytes[r], as: UTF8.self)
    }

    var method: String { text(head.method) }
    var target: String { text(head.target) }
    var hostHeader: String { head.host.map(text) ?? "" }
    var host: String { RuleHost.canonical(hostHeader) }

    /// The path (escaped, after the entry point's normalisation) and query that rules match and the backend
    /// receives (RequestTargetPolicy); absolute-form targets lose their scheme and authority.
    let pathAndQuery: (path: String, query: String)

    /// The path as Traefik's muxer matches it (escapes of reserved characters kept).
    var path: String { RoutingPath.make(fromEscaped: pathAndQuery.path) ?? pathAndQuery.path }

    func queryValues(forKey key: String) -> [String]? {
        let values = QueryString.decode(pathAndQuery.query).filter { $0.key == key }.map(\.value)
        return values.isEmpty ? nil : values
    }

    func headerValues(named name: String) -> [String] {
        // Every managed (X-Forwarded-*, X-Real-Ip) name starts with x: others skip lower-casing and hashing.
        if !trustedPeer, let first = name.utf8.first, first | 0x20 == UInt8(ascii: "x"),
           HeadRewriter.forwardedHeaders.contains(name.lowercased()) { return [] }
        return head.fields.filter { HTTPASCII.equalsIgnoringCase(bytes[$0.name], name.utf8) }.map { text($0.value) }
    }

    /// The first value of a header, or nil.
    func header(_ name: String) -> String? { headerValues(named: name).first }
}
