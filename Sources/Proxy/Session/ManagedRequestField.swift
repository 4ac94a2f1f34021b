// What the upstream request's rewrite does with a client's field, known from the name's bytes alone: the
// hop-by-hop names, the X-Forwarded-* family Traefik manages, Host and Content-Length. Read per field of
// every proxied request, so it neither lower-cases nor hashes: a length check against a 64-bit mask, then
// a case-insensitive compare with the few literals of that length (issue 18: the lower-cased String and
// four Set lookups per Host field were ~2 % of a request's instructions, more for a browser's headers).
import HTTP

enum ManagedRequestField: Equatable {
    /// RFC 9110 §7.6.1 and the de-facto ones (HeadRewriter.hopByHop).
    case hopByHop
    /// X-Forwarded-For (dash spelling): a trusted peer's value is extended, never copied.
    case forwardedFor
    /// X-Forwarded-Server (dash spelling): always written by stoep.
    case forwardedServer
    /// X-Real-Ip (dash spelling): a trusted peer's is kept, and stoep then writes none.
    case realIP
    /// The other names of HeadRewriter.forwardedHeaders: a trusted peer's are kept, an untrusted one's dropped.
    case forwarded
    case host
    case contentLength
    /// Anything else: copied as it came.
    case other

    private static let names: [(name: StaticString, kind: ManagedRequestField)] = [
        ("te", .hopByHop), ("connection", .hopByHop), ("keep-alive", .hopByHop), ("proxy-connection", .hopByHop),
        ("trailer", .hopByHop), ("upgrade", .hopByHop), ("proxy-authenticate", .hopByHop),
        ("proxy-authorization", .hopByHop),
        ("x-forwarded-for", .forwardedFor), ("x-forwarded-server", .forwardedServer), ("x-real-ip", .realIP),
        ("x-forwarded-proto", .forwarded), ("x-forwarded-host", .forwarded), ("x-forwarded-port", .forwarded),
        ("x-forwarded-uri", .forwarded), ("x-forwarded-method", .forwarded), ("x-forwarded-prefix", .forwarded),
        ("x-forwarded-tls-client-cert", .forwarded), ("x-forwarded-tls-client-cert-info", .forwarded),
        ("x-forwarded-scheme", .forwarded), ("x-scheme", .forwarded),
        ("x_forwarded_proto", .forwarded), ("x_forwarded_for", .forwarded), ("x_forwarded_host", .forwarded),
        ("x_forwarded_port", .forwarded), ("x_forwarded_server", .forwarded), ("x_real_ip", .forwarded),
        ("host", .host), ("content-length", .contentLength),
    ]

    /// Bit n set: some name above is n bytes long (all are shorter than 64).
    private static let lengths: UInt64 = names.reduce(0) { $0 | 1 << UInt64($1.name.utf8CodeUnitCount) }

    init(_ name: UnsafeRawBufferPointer) {
        self = .other
        guard name.count < 64, Self.lengths & (1 << UInt64(name.count)) != 0 else { return }
        for entry in Self.names where HTTPASCII.equalsIgnoringCase(name, entry.name) {
            self = entry.kind
            return
        }
    }
}
