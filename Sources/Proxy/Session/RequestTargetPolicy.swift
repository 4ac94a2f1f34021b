// What an entry point makes of a request target before any router sees it, in Traefik 3.7's order
// (pkg/server/server_entrypoint_tcp.go, createHTTPServer): a "#" in the path is refused (denyFragment);
// escapes are normalised (normalizePath); dot segments and duplicate slashes are removed unless
// `http.sanitizePath = false` (sanitizePath); ";" in the query becomes "&", or "%3B" with
// `http.encodeQuerySemicolons`. Rules match, middlewares read and the backend receives the result, so
// `/public/../admin` is routed as `/admin` — routing on the raw path and letting the backend normalise it
// would bypass a router's authentication. Absolute-form targets are forwarded in origin form.
// The router-level `encodedCharacters` check (`http.encodedCharacters.allowEncoded*: false`) is
// `deniesEscape`, applied once a router matched (Traefik attaches it to every router of the entry point).
import HTTP

public struct RequestTargetPolicy: Equatable, Sendable {
    /// `http.sanitizePath` (Traefik's default: true).
    public var sanitizePath: Bool
    /// `http.encodeQuerySemicolons` (default false: ";" becomes "&", as Go's AllowQuerySemicolons and
    /// Traefik's proxy director leave it).
    public var encodeQuerySemicolons: Bool
    /// Upper-case escapes that routers on this entry point refuse with 400 (`encodedCharacters`; empty by
    /// default since Traefik 3.6.7).
    public var deniedEscapes: [[UInt8]]

    public init(sanitizePath: Bool = true, encodeQuerySemicolons: Bool = false, deniedEscapes: [String] = []) {
        self.sanitizePath = sanitizePath
        self.encodeQuerySemicolons = encodeQuerySemicolons
        self.deniedEscapes = deniedEscapes.map { Array($0.uppercased().utf8) }
    }

    /// The escapes each `encodedCharacters.allowEncoded*` option refuses when false.
    public static let escapesByOption: [(option: String, escape: String)] = [
        ("allowEncodedSlash", "%2F"), ("allowEncodedBackSlash", "%5C"), ("allowEncodedNullCharacter", "%00"),
        ("allowEncodedSemicolon", "%3B"), ("allowEncodedPercent", "%25"), ("allowEncodedQuestionMark", "%3F"),
        ("allowEncodedHash", "%23"),
    ]

    enum Outcome: Equatable {
        /// The path (escaped, as forwarded) and query to route on and forward; `rewritten` when they differ
        /// from the bytes the client sent (the upstream request line is then written anew).
        case target(path: String, query: String, rewritten: Bool)
        /// A "%" without two hex digits: Go cannot parse the target (400 as a connection error).
        case malformed
        /// A "#" in the path (Traefik's denyFragment: 400 with an empty body).
        case fragment
    }

    func resolve(_ head: HTTPRequestHead, _ bytes: [UInt8]) -> Outcome {
        var rawPath: Range<Int>
        var rewritten = false
        switch head.targetForm {
        case .origin:
            rawPath = head.target
        case .absolute(_, let path):
            rawPath = path
            rewritten = true
        case .asterisk, .authority:
            return .target(path: String(decoding: bytes[head.target], as: UTF8.self), query: "", rewritten: false)
        }
        var query: ArraySlice<UInt8> = []
        if let mark = bytes[rawPath].firstIndex(of: UInt8(ascii: "?")) {
            query = bytes[(mark + 1)..<rawPath.upperBound]
            rawPath = rawPath.lowerBound..<mark
        }
        let raw = bytes[rawPath]
        let pathText: String
        if raw.isEmpty {
            pathText = "/"
            rewritten = true
        } else if URIPath.isAlreadyNormal(raw) {
            // Straight from the head's bytes (a short path is a small String: no allocation).
            pathText = String(decoding: raw, as: UTF8.self)
        } else {
            guard URIPath.hasValidEscapes(raw) else { return .malformed }
            if raw.contains(UInt8(ascii: "#")) { return .fragment }
            var path = URIPath.normalized(raw)
            if sanitizePath { path = URIPath.removeDotSegments(path) }
            if !path.elementsEqual(raw) { rewritten = true }
            pathText = String(decoding: path, as: UTF8.self)
        }
        var queryText = String(decoding: query, as: UTF8.self)
        if query.contains(UInt8(ascii: ";")) {
            queryText = queryText.replacingSemicolons(with: encodeQuerySemicolons ? "%3B" : "&")
            rewritten = true
        }
        return .target(path: pathText, query: queryText, rewritten: rewritten)
    }

    /// True when the escaped `path` holds an escape a router on this entry point refuses.
    func deniesEscape(in path: String) -> Bool {
        guard !deniedEscapes.isEmpty else { return false }
        let bytes = Array(path.utf8)
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                let escape = [bytes[i], HTTPASCII.uppercased(bytes[i + 1]), HTTPASCII.uppercased(bytes[i + 2])]
                if deniedEscapes.contains(escape) { return true }
                i += 3
            } else {
                i += 1
            }
        }
        return false
    }
}

extension String {
    func replacingSemicolons(with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for c in self {
            if c == ";" { out += replacement } else { out.append(c) }
        }
        return out
    }
}
