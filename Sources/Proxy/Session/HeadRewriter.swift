// Builds the heads stoep sends: the upstream request (hop-by-hop headers removed, X-Forwarded-* set as
// Traefik sets them, spoofed ones from untrusted peers dropped) and the client response.
import HTTP
import Rules

enum HeadRewriter {
    /// Headers Traefik manages: removed from requests whose peer is not trusted (forwarded_header.go).
    static let forwardedHeaders: Set<String> = [
        "x-forwarded-proto", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-server",
        "x-forwarded-uri", "x-forwarded-method", "x-forwarded-prefix", "x-forwarded-tls-client-cert",
        "x-forwarded-tls-client-cert-info", "x-forwarded-scheme", "x-scheme", "x-real-ip",
        "x_forwarded_proto", "x_forwarded_for", "x_forwarded_host", "x_forwarded_port", "x_forwarded_server",
        "x_real_ip",
    ]
    /// Hop-by-hop headers (RFC 9110 §7.6.1) plus the de-facto ones; Transfer-Encoding stays because the
    /// body is forwarded with its framing unchanged.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                                        "proxy-authenticate", "proxy-authorization"]

    /// The bytes lower-cased (ASCII) as a String. A name of up to 15 bytes is lowered on the stack and
    /// becomes a small String held inline: no allocation, where most header names land (issue 18).
    static func lower(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.count <= 15 else { return String(decoding: bytes.map { HTTPASCII.lowercased($0) }, as: UTF8.self) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
            var n = 0
            for b in bytes {
                buffer[n] = HTTPASCII.lowercased(b)
                n += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<n]), as: UTF8.self)
        }
    }


    /// Calls `body` with each name the head's Connection fields list (RFC 9110 §7.6.1: they are hop-by-hop
    /// too), lower-cased, trimmed of OWS, empty elements skipped; the list is walked on the bytes.
    static func forEachConnectionOption(_ fields: [HTTPHeaderField], in bytes: [UInt8], _ body: (String) -> Void) {
        for f in fields where isNamed(f, "connection", in: bytes) {
            bytes.withUnsafeBytes { p in
                HTTPASCII.forEachListElement(p, f.value) { element in
                    if !element.isEmpty { body(lower(bytes[element])) }
                }
            }
        }
    }

    /// The request head for the upstream.
    static func request(_ view: RequestView, forward: ForwardedRequest, pathChanged: Bool, hostOverride: String?,
                        trustedPeer: Bool, peerIP: String, scheme: String, serverName: String) -> [UInt8] {
        var out: [UInt8] = []
        request(view, forward: forward, pathChanged: pathChanged, hostOverride: hostOverride, trustedPeer: trustedPeer,
                peerIP: peerIP, scheme: scheme, serverName: serverName, into: &out)
        return out
    }

    /// The request head for the upstream, appended to `out` (a buffer the session reuses: no allocation).
    static func request(_ view: RequestView, forward: ForwardedRequest, pathChanged: Bool, hostOverride: String?,
                        trustedPeer: Bool, peerIP: String, scheme: String, serverName: String, into out: inout [UInt8]) {
        let head = view.head
        let b = view.bytes
        func slice(_ r: Range<Int>) -> ArraySlice<UInt8> { b[r] }
        var w = HTTPHeaderWriter(appendingTo: &out, reservingCapacity: b.count + 256)
        if pathChanged {
            let target = Array((forward.path.isEmpty ? "/" : forward.path).utf8) + (forward.query.isEmpty ? [] : Array(("?" + forward.query).utf8))
            w.requestLine(method: slice(head.method), target: target, version: .http11)
        } else {
            // The target as it came, copied from the head's bytes (no array of its own).
            w.requestLine(method: slice(head.method), target: slice(head.target), version: .http11)
        }
        // Names the client's Connection header lists are hop-by-hop too.
        var dropped = hopByHop
        var droppedChanged = false
        // A chunked request's announced trailers stay announced (Go's transport writes `Trailer` from the
        // request's trailer names, which its server took from this field).
        if head.isChunked && forward.heldBodyLength == nil { dropped.remove("trailer"); droppedChanged = true }
        // A body `buffering` read whole goes with a Content-Length instead of the client's framing.
        if forward.heldBodyLength != nil { dropped.insert("transfer-encoding"); droppedChanged = true }
        var priorFor: String? = nil
        var connectionNamesTE = false
        forEachConnectionOption(head.fields, in: b) { t in
            if t == "te" { connectionNamesTE = true }
            // Managed headers cannot be removed so.
            if !forwardedHeaders.contains(t) && dropped.insert(t).inserted { droppedChanged = true }
        }
        let set = FieldNames(forward.setHeaders)
        // Whether any name beyond the fixed hop-by-hop ones goes: only then is a field's name lower-cased
        // and looked up (a flag, not a count: a removed Trailer and a Connection-listed name leave the
        // count as it was).
        let anyRemoval = !set.isEmpty || !forward.removeHeaders.isEmpty || droppedChanged
            || !forward.removeHeadersMatching.isEmpty
        var hadRealIP = false
        // An absolute-form target names the host (RFC 9112 §3.2.2): Go routes on it and sends it as Host.
        let absolute: Bool
        if case .absolute = head.targetForm { absolute = true } else { absolute = false }
        b.withUnsafeBytes { p in
            for f in head.fields {
                let kind = ManagedRequestField(UnsafeRawBufferPointer(rebasing: p[f.name]))
                if anyRemoval {
                    let name = lower(slice(f.name))
                    if dropped.contains(name) || forward.removeHeaders.contains(name) || set.contains(name) { continue }
                    if !forward.removeHeadersMatching.isEmpty,
                       forward.removeHeadersMatching.contains(where: { $0.matches(GoHeaderList.canonical(String(decoding: slice(f.name), as: UTF8.self))) }) { continue }
                } else if kind == .hopByHop {
                    continue
                }
                switch kind {
                case .hopByHop, .other: break  // (a hop-by-hop name `dropped` kept: a chunked request's Trailer)
                case .forwardedFor:
                    if trustedPeer { priorFor = String(decoding: slice(f.value), as: UTF8.self) }
                    continue
                case .forwardedServer: continue  // an untrusted peer's dropped, a trusted one's overwritten
                case .realIP:
                    if !trustedPeer { continue }
                    hadRealIP = true
                case .forwarded:
                    if !trustedPeer { continue }
                case .host:
                    if let h = hostOverride ?? (absolute ? view.hostHeader : nil) {
                        w.field(literal: "Host", h)
                        continue
                    }
                case .contentLength: continue  // written below, once
                }
                w.copyField(f, from: p)
            }
        }
        if head.host == nil, let h = hostOverride { w.field(literal: "Host", h) }
        if let n = forward.heldBodyLength {
            let expectsLength = head.knownMethod == .post || head.knownMethod == .put || head.knownMethod == .patch
            if n > 0 || expectsLength { w.field(literal: "Content-Length", n) }
        } else {
            writeContentLength(head, into: &w)
        }
        // `TE: trailers` survives the hop-by-hop removal (Go's ReverseProxy keeps it: gRPC needs it), unless
        // the client's Connection header named TE (Traefik's forwarded-headers handler removed it first).
        if !connectionNamesTE, let te = head.facts.te, listContains(b, te, "trailers") { w.field(literal: "Te", "trailers") }
        if view.head.isUpgrade, let u = head.upgrade {
            w.field(literal: "Connection", "Upgrade")
            w.field(literal: "Upgrade", slice(u))
        }
        for (n, v) in forward.setHeaders where !v.isEmpty { _ = w.field(n, v) }
        for (n, v) in forward.addHeaders { _ = w.field(n, v) }
        // X-Forwarded-* (forwarded_header.go): set when absent (a trusted peer's values are kept).
        let present = trustedPeer ? Set(head.fields.map { lower(slice($0.name)) }) : []
        // A value a middleware set (customRequestHeaders) or a trusted peer sent wins over ours.
        func keep(_ n: String) -> Bool { set.contains(n) || (trustedPeer && present.contains(n)) }
        if !set.contains("x-forwarded-for") { w.field(literal: "X-Forwarded-For", priorFor.map { "\($0), \(peerIP)" } ?? peerIP) }
        let hostHeader = view.hostHeader
        if !keep("x-forwarded-host") && !hostHeader.isEmpty { w.field(literal: "X-Forwarded-Host", hostHeader) }
        // forwardedPort: a kept X-Forwarded-Proto of https or wss means 443 (forwarded_header.go).
        let keptProto = keep("x-forwarded-proto")
            ? (forward.setHeaders.last { HTTPASCII.equalsIgnoringCase($0.name.utf8, "x-forwarded-proto".utf8) }?.value
               ?? view.header("X-Forwarded-Proto") ?? "") : ""
        if !keep("x-forwarded-port") {
            // The Host's port, found on its bytes (a Character search was 6 % of a request's instructions).
            let host = hostHeader.utf8
            if host.last != UInt8(ascii: "]"), let colon = host.lastIndex(of: HTTPASCII.colon) {
                w.field(literal: "X-Forwarded-Port", host[host.index(after: colon)...])
            } else {
                w.field(literal: "X-Forwarded-Port", scheme == "https" || keptProto == "https" || keptProto == "wss" ? "443" : "80")
            }
        }
        if !keep("x-forwarded-proto") {
            let ws = view.head.isUpgrade ? (scheme == "https" ? "wss" : "ws") : scheme
            w.field(literal: "X-Forwarded-Proto", ws)
        }
        if !set.contains("x-forwarded-server") { w.field(literal: "X-Forwarded-Server", serverName) }
        if !hadRealIP && !set.contains("x-real-ip") { w.field(literal: "X-Real-Ip", peerIP) }
        // finish() then the bytes: the consuming finished() copied the whole head once more here.
        w.finish()
        out = w.bytes
    }

    /// Content-Length as Go's transport writes it (transfer.go, shouldSendContentLength): once, as the number
    /// it means ("005" → "5"; repeated identical fields → one line, so a backend cannot frame the body
    /// differently); `Content-Length: 0` for a body-less POST, PUT or PATCH only; none for chunked.
    static func writeContentLength(_ head: HTTPRequestHead, into w: inout HTTPHeaderWriter) {
        guard !head.isChunked, !head.isUpgrade else { return }
        let n = head.contentLength ?? 0
        let expectsLength = head.knownMethod == .post || head.knownMethod == .put || head.knownMethod == .patch
        if n > 0 || expectsLength { w.field(literal: "Content-Length", n) }
    }

    /// The response head for the client. `close` adds Connection: close (we close after this response);
    /// `chunked` adds Transfer-Encoding: chunked (a close-delimited body sent on as chunks). Line ends are
    /// CRLF whatever the backend used.
    /// `status`: written instead of the backend's, with its standard reason (an error page's caught status).
    static func response(_ head: HTTPResponseHead, bytes: [UInt8], close: Bool, chunked: Bool = false, status: Int? = nil,
                         extra: [(name: String, value: String)], setCookies: [String] = []) -> [UInt8] {
        var out: [UInt8] = []
        response(head, bytes: bytes, close: close, chunked: chunked, status: status, extra: extra, setCookies: setCookies,
                 into: &out)
        return out
    }

    /// The response head for the client, appended to `out` (the session's output buffer: no allocation).
    static func response(_ head: HTTPResponseHead, bytes: [UInt8], close: Bool, chunked: Bool = false, status: Int? = nil,
                         extra: [(name: String, value: String)], setCookies: [String] = [], into out: inout [UInt8]) {
        func slice(_ r: Range<Int>) -> ArraySlice<UInt8> { bytes[r] }
        var w = HTTPHeaderWriter(appendingTo: &out, reservingCapacity: bytes.count + 64)
        if let status {
            w.statusLine(status)
        } else {
            w.statusLine(head.status, reason: String(decoding: slice(head.reason), as: UTF8.self), version: .http11)
        }
        // Hop-by-hop fields, and those the backend's Connection fields name, are dropped; a 101 keeps its
        // Connection and Upgrade, a chunked answer its announced trailers (Go's ReverseProxy re-adds
        // `Trailer`). Compared on the head's bytes: no String or Set per field (issue 18).
        let replaced = FieldNames(extra)
        bytes.withUnsafeBytes { p in
            let listed = connectionListedLengths(head, in: p)
            for f in head.fields {
                let name = UnsafeRawBufferPointer(rebasing: p[f.name])
                if isDroppedFromResponse(name, head: head, connectionListed: listed, in: p) { continue }
                if !replaced.isEmpty && replaced.contains(name) { continue }
                w.copyField(f, from: p)
            }
        }
        for (n, v) in extra where !v.isEmpty { _ = w.field(n, v) }
        // Sticky cookies come beside the backend's own Set-Cookie fields, never instead of them.
        for v in setCookies { w.field(literal: "Set-Cookie", v) }
        if close && !head.isSwitchingProtocols { w.field(literal: "Connection", "close") }
        if chunked { w.field(literal: "Transfer-Encoding", "chunked") }
        w.finish()
        out = w.bytes
    }

    /// The lengths of the names the head's Connection fields list, as bits (bit 63: 63 bytes or more): a
    /// field whose length is not among them is not listed, known without walking the lists again for each
    /// field (nginx sends `Connection: keep-alive` on every response; issue 18). 0 without a Connection field.
    private static func connectionListedLengths(_ head: HTTPResponseHead, in p: UnsafeRawBufferPointer) -> UInt64 {
        var lengths: UInt64 = 0
        for c in head.fields where HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[c.name]), "connection") {
            HTTPASCII.forEachListElement(p, c.value) { element in lengths |= 1 << UInt64(min(element.count, 63)) }
        }
        return lengths
    }

    /// Whether the response field called `name` is hop-by-hop for `head` (see `response`). Lengths are
    /// compared first: most fields have no hop-by-hop name's length and cost one comparison each.
    /// `connectionListed`: `connectionListedLengths(head)`.
    private static func isDroppedFromResponse(_ name: UnsafeRawBufferPointer, head: HTTPResponseHead, connectionListed: UInt64,
                                              in p: UnsafeRawBufferPointer) -> Bool {
        func named(_ literal: StaticString) -> Bool {
            name.count == literal.utf8CodeUnitCount && HTTPASCII.equalsIgnoringCase(name, literal)
        }
        switch name.count {
        case 2: if named("te") { return true }
        case 7:
            if named("trailer") { return head.framing != .chunked }
            if named("upgrade") { return !head.isSwitchingProtocols }
        case 10:
            if named("connection") { return !head.isSwitchingProtocols }
            if named("keep-alive") { return true }
        case 16: if named("proxy-connection") { return true }
        case 18: if named("proxy-authenticate") { return true }
        case 19: if named("proxy-authorization") { return true }
        default: break
        }
        guard connectionListed & (1 << UInt64(min(name.count, 63))) != 0 else { return false }
        var listed = false
        for c in head.fields where !listed && c.name.count == 10 && HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[c.name]), "connection") {
            HTTPASCII.forEachListElement(p, c.value) { element in
                if !listed && element.count == name.count && HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[element]), name) {
                    listed = true
                }
            }
        }
        return listed
    }

    /// A 1xx interim head for the client: every field as it came (Go's reverse proxy copies them all into
    /// the 1xx it writes), with CRLF line ends whatever the backend used.
    static func interim(_ head: HTTPResponseHead, bytes: [UInt8]) -> [UInt8] {
        var w = HTTPHeaderWriter(reservingCapacity: bytes.count + 8)
        w.statusLine(head.status, reason: String(decoding: bytes[head.reason], as: UTF8.self), version: .http11)
        for f in head.fields { w.copyField(f, from: bytes) }
        return w.finished()
    }
}

/// The names of fields a middleware sets (customRequestHeaders, response headers), matched ASCII
/// case-insensitively by a scan: a router sets a handful, and a Set of lowered names cost two or three
/// allocations per request (issue 18).
struct FieldNames {
    let fields: [(name: String, value: String)]
    init(_ fields: [(name: String, value: String)]) { self.fields = fields }

    var isEmpty: Bool { fields.isEmpty }

    /// `name` in any case.
    func contains(_ name: String) -> Bool {
        fields.contains { HTTPASCII.equalsIgnoringCase($0.name.utf8, name.utf8) }
    }

    func contains(_ name: UnsafeRawBufferPointer) -> Bool {
        fields.contains { $0.name.utf8.count == name.count && HTTPASCII.equalsIgnoringCase($0.name.utf8, name) }
    }
}

/// True when the field's name is `name` (ASCII case-insensitive), without allocating.
func isNamed(_ field: HTTPHeaderField, _ name: StaticString, in bytes: [UInt8]) -> Bool {
    field.name.count == name.utf8CodeUnitCount
        && bytes.withUnsafeBytes { HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: $0[field.name]), name) }
}

/// True when the comma-separated list in `bytes[range]` has `token` as an element (ASCII case-insensitive).
func listContains(_ bytes: [UInt8], _ range: Range<Int>, _ token: StaticString) -> Bool {
    bytes.withUnsafeBytes { p in
        var found = false
        HTTPASCII.forEachListElement(p, range) { element in
            if !found, HTTPASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: p[element]), token) { found = true }
        }
        return found
    }
}

extension Substring {
    func trimmingCharacters(_ set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
