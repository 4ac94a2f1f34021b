// Accept-Encoding negotiation exactly as Traefik 3.7's compress middleware does it
// (pkg/middlewares/compress/acceptencoding.go), and the second look klauspost's gzhttp takes at the same
// header when Traefik hands it a request for gzip (gzhttp/compress.go parseEncodingQValue).

enum AcceptEncoding {
    /// What Traefik's getCompressionEncoding returns for the Accept-Encoding field lines `lines` (present):
    /// a coding from `encodings`, or nil for identity / nothing acceptable (no compression, no Vary).
    ///
    /// Traefik's rules, kept as they are: spaces are removed everywhere; names compare case-sensitively and
    /// only `encodings`, "*" and "identity" count; a `q=` that does not parse, or is 0, drops the entry;
    /// another parameter leaves q at 1; the highest q wins, ties go to the earlier of `encodings`, then
    /// "identity" (ranked after them), "*" before all; "*" means `defaultEncoding`, else encodings[0].
    static func negotiate(_ lines: [String], encodings: [String], defaultEncoding: String) -> String? {
        if lines.count == 1 && lines[0].isEmpty { return nil }  // RFC 9110: an empty field means identity
        func rank(_ name: String) -> Int {
            if name == "*" { return -1 }
            if name == "identity" { return encodings.count }
            return encodings.firstIndex(of: name) ?? Int.max
        }
        var best: (name: String, weight: Double)?
        for line in lines {
            for item in line.replacingSpaces().split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                guard name == "*" || name == "identity" || encodings.contains(name) else { continue }
                var weight = 1.0
                if parts.count > 1, parts[1].hasPrefix("q=") {
                    let w = GoFloat.parse(parts[1].dropFirst(2)) ?? 0
                    if w == 0 { continue }
                    weight = w
                }
                if let b = best, b.weight > weight || (b.weight == weight && rank(b.name) <= rank(name)) { continue }
                best = (name, weight)
            }
        }
        guard let chosen = best?.name else { return nil }
        if chosen == "*" { return defaultEncoding.isEmpty ? encodings[0] : defaultEncoding }
        return chosen == "identity" ? nil : chosen
    }

    /// gzhttp's q-value for gzip in the first Accept-Encoding line (Go's Header.Get): the first list entry
    /// named gzip (case-insensitive, trimmed), q clamped to 0…1, an unparseable q being 0; 0 when absent.
    static func gzipQuality(_ firstLine: String) -> Double {
        for item in firstLine.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: ";", omittingEmptySubsequences: false)
            guard parts[0].trimmed().lowercased() == "gzip" else { continue }
            var q = 1.0
            for p in parts.dropFirst() {
                let t = p.trimmed()
                if t.hasPrefix("q=") { q = min(max(GoFloat.parse(t.dropFirst(2)) ?? 0, 0), 1) }
            }
            return q
        }
        return 0
    }
}

/// strconv.ParseFloat's decimal subset (what a q-value can be): digits with an optional sign, point and
/// exponent. Nil where Go returns an error (Go's hex floats, "inf" and "nan" are not q-values a client sends:
/// they parse here as errors, so the entry is dropped rather than ranked).
enum GoFloat {
    static func parse(_ s: Substring) -> Double? {
        guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2D || $0 == 0x65 || $0 == 0x45 || $0 == 0x5F }) else {
            return nil
        }
        return Double(String(s))
    }
}

extension String {
    fileprivate func replacingSpaces() -> String { String(filter { $0 != " " }) }
}

extension Substring {
    fileprivate func trimmed() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
