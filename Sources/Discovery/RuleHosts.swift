// The host names a router rule asks for: the arguments of its `Host(...)` matchers (v2's variadic form
// and `HostHeader` included), lowercased, without a trailing dot. Names under a negation (`!Host(...)`)
// are left out, and so are wildcards and regexps: only exact names can be published in DNS.

public enum RuleHosts {
    public static func hosts(in rule: String) -> [String] {
        let bytes = Array(rule.utf8)
        var out: [String] = []
        var i = 0
        while i < bytes.count {
            guard let (nameEnd, open) = matcher(bytes, at: i) else { i += 1; continue }
            let negated = precededByNot(bytes, i)
            var j = open + 1
            while j < bytes.count && bytes[j] != 41 {  // ')'
                let quote = bytes[j]
                if quote == 96 || quote == 34 {  // ` or "
                    var k = j + 1
                    while k < bytes.count && bytes[k] != quote { k += 1 }
                    var host = String(decoding: bytes[(j + 1)..<min(k, bytes.count)], as: UTF8.self).lowercased()
                    if host.hasSuffix(".") { host.removeLast() }
                    if !negated && !host.isEmpty && !host.contains("*") && !host.contains("{") && !out.contains(host) { out.append(host) }
                    j = k + 1
                } else {
                    j += 1
                }
            }
            i = max(nameEnd, j)
        }
        return out
    }

    /// At `i`, "Host(" or "HostHeader(" as a whole word: (end of the name, index of "(").
    private static func matcher(_ b: [UInt8], at i: Int) -> (Int, Int)? {
        if i > 0, isWordByte(b[i - 1]) { return nil }
        for name in ["Host", "HostHeader"] {
            let n = Array(name.utf8)
            guard i + n.count < b.count, Array(b[i..<(i + n.count)]) == n else { continue }
            var j = i + n.count
            while j < b.count && b[j] == 32 { j += 1 }
            if j < b.count && b[j] == 40 { return (i + n.count, j) }  // '('
        }
        return nil
    }

    private static func precededByNot(_ b: [UInt8], _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && b[j] == 32 { j -= 1 }
        return j >= 0 && b[j] == 33  // '!'
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }
}
