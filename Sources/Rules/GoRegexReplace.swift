// Go's Regexp.ReplaceAllString over a PCRE2 pattern: what Traefik's replacePathRegex does to a path.
// PCRE2's own substitute differs from Go in the replacement language, so the template is expanded here
// by Go's rules (regexp.go, Regexp.expand and extract):
// - `$name` takes the longest run of letters, digits and '_' as the name: `$1x` is the group named "1x"
//   (empty), not group 1 then "x"; `${1}x` is group 1 then "x".
// - a name of digits (no leading zero) is a group number; any other name is a named group. A group that
//   does not exist, or did not take part in the match, expands to nothing.
// - `$$` is a literal '$'; a '$' not followed by a valid name stays a literal '$'.
// And the matches as Go walks them: every non-overlapping match left to right; an empty match right
// after the previous match is not replaced; the search always advances at least one character.
import CPCRE2

extension CompiledRegex {
    /// `subject` with every match replaced by `template` expanded as Go does (see the file header).
    public func goReplaceAll(_ subject: String, with template: String) -> String {
        let src = Array(subject.utf8)
        let names = groupNumbers()
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return subject }
        defer { pcre2_match_data_free_8(data) }
        var out: [UInt8] = []
        var lastMatchEnd = 0
        var searchPos = 0
        while searchPos <= src.count {
            guard let groups = match(src, from: searchPos, data) else { break }
            let whole = groups[0] ?? (searchPos..<searchPos)
            out += src[lastMatchEnd..<whole.lowerBound]
            if whole.upperBound > lastMatchEnd || whole.lowerBound == 0 {
                expand(template, src, groups, names, into: &out)
            }
            lastMatchEnd = whole.upperBound
            let width = searchPos < src.count ? Self.utf8Width(src[searchPos]) : 1
            if searchPos + width > whole.upperBound {
                searchPos += width
            } else if searchPos + 1 > whole.upperBound {
                searchPos += 1
            } else {
                searchPos = whole.upperBound
            }
        }
        out += src[min(lastMatchEnd, src.count)...]
        return String(decoding: out, as: UTF8.self)
    }

    /// The groups of the first match starting at or after `offset` (index 0: the whole match; nil: a group
    /// that did not take part), or nil for no match (a match-limit error counts as none).
    private func match(_ src: [UInt8], from offset: Int, _ data: OpaquePointer) -> [Range<Int>?]? {
        let rc = src.withUnsafeBufferPointer { b in
            withUnsafePointer(to: UInt8(0)) { empty in
                pcre2_match_8(code, b.baseAddress ?? empty, b.count, offset, 0, data, matchContext)
            }
        }
        guard rc > 0, let ov = pcre2_get_ovector_pointer_8(data) else { return nil }
        let pairs = Int(pcre2_get_ovector_count_8(data))
        return (0..<pairs).map { i in
            let start = ov[2 * i], end = ov[2 * i + 1]
            return Int(truncatingIfNeeded: start) == -1 || i >= Int(rc) ? nil : Int(start)..<Int(end)
        }
    }

    /// Named groups → their numbers, from PCRE2's name table (entries: 2-byte number, then the
    /// zero-terminated name).
    private func groupNumbers() -> [String: Int] {
        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count) == 0, count > 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table) == 0, let table else { return [:] }
        var names: [String: Int] = [:]
        for i in 0..<Int(count) {
            let entry = table + i * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            let name = String(cString: entry + 2)
            if names[name] == nil { names[name] = number }
        }
        return names
    }

    /// Appends `template` with its `$` references expanded against one match (Go's Regexp.expand).
    private func expand(_ template: String, _ src: [UInt8], _ groups: [Range<Int>?], _ names: [String: Int],
                        into out: inout [UInt8]) {
        let t = Array(template.utf8)
        var i = 0
        while i < t.count {
            guard t[i] == UInt8(ascii: "$") else {
                out.append(t[i])
                i += 1
                continue
            }
            i += 1
            if i < t.count && t[i] == UInt8(ascii: "$") {
                out.append(UInt8(ascii: "$"))
                i += 1
                continue
            }
            guard let (name, rest) = Self.extractName(t, from: i) else {
                out.append(UInt8(ascii: "$"))  // malformed: the '$' is raw text
                continue
            }
            i = rest
            let number = Self.groupNumber(name) ?? names[name]
            if let n = number, n < groups.count, let r = groups[n] { out += src[r] }
        }
    }

    /// Go's extract: a name (letters, digits, '_'), optionally in braces; nil when empty or unclosed.
    static func extractName(_ t: [UInt8], from start: Int) -> (String, Int)? {
        var i = start
        let brace = i < t.count && t[i] == UInt8(ascii: "{")
        if brace { i += 1 }
        let nameStart = i
        while i < t.count {
            let width = utf8Width(t[i])
            guard let scalar = String(decoding: t[i..<min(i + width, t.count)], as: UTF8.self).unicodeScalars.first,
                  scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal || scalar == "_" else { break }
            i += width
        }
        guard i > nameStart else { return nil }
        let name = String(decoding: t[nameStart..<i], as: UTF8.self)
        if brace {
            guard i < t.count, t[i] == UInt8(ascii: "}") else { return nil }
            i += 1
        }
        return (name, i)
    }

    /// A name all of ASCII digits without a leading zero (and under 1e8, as Go caps it) is a group number.
    static func groupNumber(_ name: String) -> Int? {
        guard name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), name.utf8.count < 9 else { return nil }
        if name.utf8.count > 1 && name.utf8.first == 0x30 { return nil }
        return Int(name)
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for a stray continuation byte, as Go steps).
    static func utf8Width(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }
}
