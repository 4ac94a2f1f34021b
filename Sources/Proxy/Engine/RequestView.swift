// A parsed request head as the rule matchers and middlewares see it, read straight from the head's bytes;
// each property is computed only when a rule asks for it.

struct RequestView: RuleRequest {
    let head: HTTPRequestHead
    let bytes: [UInt8]   // the head, indexed from 0 by the head's ranges
    let clientIP: ClientIP?

    func text(_ r: Range<Int>) -> String {
        String(decoding: bytes[r], as: UTF8.self)
    }

    var method: String { text(head.method) }
    var target: String { text(head.target) }
    var hostHeader: String { head.host.map(text) ?? "" }
    var host: String { RuleHost.canonical(hostHeader) }

    /// The raw path and query of the target (absolute-form targets lose their scheme and authority).
    var rawPathAndQuery: (path: String, query: String) {
        var t = Substring(target)
        if !t.hasPrefix("/"), case .absolute = head.targetForm {
            // absolute-form: scheme "://" authority path — keep the path.
            if let colon = t.firstIndex(of: ":") { t = t[colon...].dropFirst(3) }
            t = t.firstIndex(of: "/").map { t[$0...] } ?? "/"
        }
        if let q = t.firstIndex(of: "?") { return (String(t[..<q]), String(t[t.index(after: q)...])) }
        return (String(t), "")
    }

    var path: String { RoutingPath.make(fromEscaped: rawPathAndQuery.path) ?? rawPathAndQuery.path }

    func queryValues(forKey key: String) -> [String]? {
        let values = QueryString.decode(rawPathAndQuery.query).filter { $0.key == key }.map(\.value)
        return values.isEmpty ? nil : values
    }

    func headerValues(named name: String) -> [String] {
        head.fields.filter { HTTPASCII.equalsIgnoringCase(bytes[$0.name], name.utf8) }.map { text($0.value) }
    }

    /// The first value of a header, or nil.
    func header(_ name: String) -> String? { headerValues(named: name).first }
}
