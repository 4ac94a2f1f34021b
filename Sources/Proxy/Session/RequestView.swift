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

    /// `host`: the Host field as text and canonical, when the caller has them already (a session keeps
    /// them from its previous request: the same Host on every request of a connection makes no String).
    init(head: HTTPRequestHead, bytes: [UInt8], clientIP: ClientIP?, trustedPeer: Bool = false,
         pathAndQuery: (path: String, query: String), host: HostText? = nil) {
        self.head = head
        self.bytes = bytes
        self.clientIP = clientIP
        self.trustedPeer = trustedPeer
        self.pathAndQuery = pathAndQuery
        let text = host ?? HostText(head.host.map { bytes[$0] } ?? [])
        hostHeader = text.header
        self.host = text.canonical
    }

    func text(_ r: Range<Int>) -> String {
        String(decoding: bytes[r], as: UTF8.self)
    }

    var method: String { head.knownMethod.name ?? text(head.method) }
    var target: String { text(head.target) }
    /// The Host field as it came ("" without one), and canonical (RuleHost) as rules match it.
    let hostHeader: String
    let host: String

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

    /// `GET / HTTP/1.0` with no fields (1.1 would need a Host): what a pooled exchange holds between requests (HTTPExchange.clear),
    /// made once, so it refers to no session's head buffer.
    static let none: RequestView = {
        let bytes = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        guard case .complete(let head, _) = HTTPRequestHead.parse(bytes) else { preconditionFailure("GET / HTTP/1.0 parses") }
        return RequestView(head: head, bytes: bytes, clientIP: nil, pathAndQuery: ("/", ""))
    }()
}

/// A Host field's text and canonical form, made once per distinct Host a connection sends.
struct HostText {
    let bytes: [UInt8]
    let header: String
    let canonical: String

    init(_ field: ArraySlice<UInt8>) {
        bytes = Array(field)
        header = String(decoding: field, as: UTF8.self)
        canonical = field.withUnsafeBytes { RuleHost.canonical(bytes: $0) }
    }

    /// These strings when `field` is the same Host, else new ones.
    func reused(for field: ArraySlice<UInt8>) -> HostText {
        bytes.elementsEqual(field) ? self : HostText(field)
    }
}
