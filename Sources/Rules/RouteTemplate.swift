// v2 rule values with `{name:regex}` placeholders, as gorilla/mux (containous fork) turns them into one
// anchored regexp: literal text is quoted, each placeholder becomes a group with its pattern (or a default
// pattern when only `{name}` is given). Used by v2 HostRegexp, Path, PathPrefix, Query and TCP HostSNIRegexp.
enum RouteTemplate {
    enum Kind {
        case host, path, pathPrefix, query

        /// gorilla's defaults: a host label, a path segment, anything in a query value.
        var defaultPattern: String {
            switch self {
            case .host: return "[^.]+"
            case .path, .pathPrefix: return "[^/]+"
            case .query: return ".*"
            }
        }
    }

    struct Failure: Error {
        /// Byte offset in the template the problem belongs to (0 when it concerns the whole template).
        let offset: Int
        let message: String
    }

    /// True when `template` has a placeholder and needs a regexp at all.
    static func hasPlaceholder(_ template: String) -> Bool {
        template.utf8.contains(UInt8(ascii: "{"))
    }

    /// Compiles `template`. Host templates match case-insensitively (the request host is canonical lower
    /// case). A query template "key=" with an empty value matches any value (gorilla appends `.*`).
    static func compile(_ template: String, kind: Kind) throws(Failure) -> CompiledRegex {
        let bytes = Array(template.utf8)
        let braces = try braceIndices(bytes, template)
        var pattern = "^"
        var end = 0
        var placeholders = 0
        for pair in stride(from: 0, to: braces.count, by: 2) {
            pattern += quoted(bytes[end..<braces[pair]])
            end = braces[pair + 1]
            let inside = String(decoding: bytes[(braces[pair] + 1)..<(end - 1)], as: UTF8.self)
            let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts.first.map(String.init) ?? ""
            let placeholderPattern = parts.count == 2 ? String(parts[1]) : kind.defaultPattern
            guard !name.isEmpty, !placeholderPattern.isEmpty else {
                let text = String(decoding: bytes[braces[pair]..<end], as: UTF8.self)
                throw Failure(offset: braces[pair], message: "mux: missing name or pattern in \"\(text)\"")
            }
            pattern += "(\(placeholderPattern))"
            placeholders += 1
        }
        pattern += quoted(bytes[end...])
        if kind == .query, template.hasSuffix("=") { pattern += kind.defaultPattern }
        if kind != .pathPrefix { pattern += "$" }
        let regex: CompiledRegex
        do {
            regex = try CompiledRegex(pattern, caseInsensitive: kind == .host)
        } catch {
            throw Failure(offset: 0, message: "error parsing regexp \(pattern): \(error.message)")
        }
        guard regex.captureCount == placeholders else {
            throw Failure(offset: 0, message: "route \(template) contains capture groups in its regexp. Only "
                + "non-capturing groups are accepted: e.g. (?:pattern) instead of (pattern)")
        }
        return regex
    }

    /// Offsets of first-level `{` and one past the matching `}`, pairwise (gorilla's braceIndices).
    private static func braceIndices(_ bytes: [UInt8], _ template: String) throws(Failure) -> [Int] {
        var level = 0
        var start = 0
        var indices: [Int] = []
        for (i, c) in bytes.enumerated() {
            if c == UInt8(ascii: "{") {
                level += 1
                if level == 1 { start = i }
            } else if c == UInt8(ascii: "}") {
                level -= 1
                if level == 0 {
                    indices.append(contentsOf: [start, i + 1])
                } else if level < 0 {
                    throw Failure(offset: i, message: "mux: unbalanced braces in \"\(template)\"")
                }
            }
        }
        guard level == 0 else { throw Failure(offset: start, message: "mux: unbalanced braces in \"\(template)\"") }
        return indices
    }

    /// Literal text for PCRE2: a backslash before any ASCII punctuation makes it literal (regexp.QuoteMeta).
    static func quoted<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        for c in bytes {
            let isWord = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c >= 0x80
            if !isWord && c > 0x20 { out.append(UInt8(ascii: "\\")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
