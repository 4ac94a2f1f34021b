// Prometheus text exposition format 0.0.4, written the way Go's client_golang (expfmt) writes it, so stoep's
// /metrics output diffs cleanly against Traefik's: numbers as strconv.FormatFloat(v, 'g', -1, 64) (with
// client_golang's special cases "0", "1", "+Inf", "-Inf", "NaN"), label values escaped (\\ \" \n),
// HELP text escaped (\\ \n), label pairs in the order the caller gives (callers give them sorted by name,
// as client_golang does).

enum PrometheusText {
    /// Appends `# HELP name help` and `# TYPE name kind`.
    static func header(_ out: inout [UInt8], name: String, help: String, kind: String) {
        out.append(contentsOf: "# HELP \(name) ".utf8)
        for b in help.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(b)
            }
        }
        out.append(contentsOf: "\n# TYPE \(name) \(kind)\n".utf8)
    }

    /// Appends one sample line: `name{l1="v1",...} value`. `extra` is one more pair written last (the
    /// histogram's `le`). No braces when there are no labels.
    static func sample(_ out: inout [UInt8], name: String, labels: [String], values: [String],
                       extra: (name: String, value: String)? = nil, value: Double) {
        out.append(contentsOf: name.utf8)
        if !labels.isEmpty || extra != nil {
            out.append(UInt8(ascii: "{"))
            var first = true
            for (label, v) in zip(labels, values) {
                pair(&out, label, v, first: first)
                first = false
            }
            if let extra { pair(&out, extra.name, extra.value, first: first) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(0x20)
        out.append(contentsOf: format(value).utf8)
        out.append(0x0A)
    }

    private static func pair(_ out: inout [UInt8], _ name: String, _ value: String, first: Bool) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "=\"".utf8)
        escapeLabelValue(&out, value)
        out.append(UInt8(ascii: "\""))
    }

    /// Label value escaping of the text format: backslash, double quote and line feed.
    static func escapeLabelValue(_ out: inout [UInt8], _ value: String) {
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(b)
            }
        }
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)` with expfmt's special cases: the shortest digits that
    /// round-trip, in %e form when the decimal exponent is < -4 or >= 6 ("1e+06", "1.5e-05"), else %f form
    /// ("0.1", "5", "123456"). Counters go through Double like in Go, so 2500000 bytes render "2.5e+06".
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return "0" }
        let (digits, dp) = shortestDigits(v.magnitude)
        var s = v < 0 ? "-" : ""
        let exp = dp - 1
        if exp < -4 || exp >= 6 {
            s.append(digits[0])
            if digits.count > 1 {
                s.append(".")
                s.append(contentsOf: digits.dropFirst())
            }
            s.append(exp < 0 ? "e-" : "e+")
            let e = exp.magnitude
            if e < 10 { s.append("0") }
            s.append(String(e))
            return s
        }
        if dp <= 0 {
            s.append("0.")
            s.append(String(repeating: "0", count: -dp))
            s.append(contentsOf: digits)
        } else if dp >= digits.count {
            s.append(contentsOf: digits)
            s.append(String(repeating: "0", count: dp - digits.count))
        } else {
            s.append(contentsOf: digits.prefix(dp))
            s.append(".")
            s.append(contentsOf: digits.dropFirst(dp))
        }
        return s
    }

    /// The shortest round-trip decimal digits of a finite positive `v` (no leading or trailing zeros) and
    /// the decimal point position: v = 0.d1d2d3… × 10^dp. Swift's `description` already prints the
    /// shortest round-trip digits; only its layout ("5.0", "1e-05", "1.2e+17") differs from Go's.
    static func shortestDigits(_ v: Double) -> (digits: [Character], dp: Int) {
        var digits: [Character] = []
        var intDigits = 0
        var seenPoint = false
        var exponent = 0
        var text = Substring(v.description)
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0   // Int accepts "+17"
            text = text[..<e]
        }
        for c in text {
            if c == "." { seenPoint = true; continue }
            guard c.isASCII, c.isNumber else { continue }
            digits.append(c)
            if !seenPoint { intDigits += 1 }
        }
        var dp = intDigits + exponent
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            dp -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        if digits.isEmpty { return (["0"], 1) }
        return (digits, dp)
    }
}
