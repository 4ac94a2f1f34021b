// One compiled PCRE2 pattern, standing in for the Go RE2 regexps Traefik compiles for HostRegexp, PathRegexp,
// HeaderRegexp, QueryRegexp and HostSNIRegexp. Patterns compile once, when a rule is parsed; matching is a
// boolean, unanchored search (Go's MatchString) over the subject's UTF-8 bytes without copying them.
//
// Go RE2 vs PCRE2, and what we do about each difference:
// - `$` without (?m): Go matches only at the very end; PCRE2 also before a final "\n" => PCRE2_DOLLAR_ENDONLY.
// - `.`, \w, \d, \b: Go works on UTF-8 characters with ASCII-only classes => PCRE2_UTF without PCRE2_UCP.
//   Subjects with invalid UTF-8 (raw request bytes) still match instead of failing => PCRE2_MATCH_INVALID_UTF.
// - `\C` (one byte) is not in Go => PCRE2_NEVER_BACKSLASH_C.
// - Constructs RE2 rejects but PCRE2 accepts (backreferences, lookaround, atomic groups, possessive
//   quantifiers, recursion, verbs, escapes like \K \h \R \Z) are rejected up front by RE2Syntax, so a rule
//   valid here is valid in Traefik too.
// - `(?P<name>...)` and `(?<name>...)`, `(?i)`, `(?s)`, `(?U)`, `\Q...\E`, `[[:word:]]`, `\pL` mean the same.
// - RE2 is linear-time; PCRE2 backtracks. A match limit bounds the work per match; hitting it counts as
//   "no match" (RE2 would have answered, so a pathological rule may route differently — never hangs).
// - RE2 caps counted repetition at 1000 (`a{1001}` is an error there); PCRE2 allows up to 65535. Not checked.
import CPCRE2

public struct RegexCompileError: Error, Equatable, CustomStringConvertible {
    /// Byte offset in the pattern where the problem was found.
    public let offset: Int
    public let message: String
    public var description: String { "error parsing regexp at offset \(offset): \(message)" }
}

public final class CompiledRegex: CustomStringConvertible {
    /// The pattern as PCRE2 compiled it (a v2 `{name:re}` template appears here already translated).
    public let pattern: String
    let code: OpaquePointer
    // Reused across matches: the process is single-threaded, and one ovector pair is all a boolean match needs.
    private let matchData: OpaquePointer
    let matchContext: OpaquePointer

    /// Bounds backtracking per match (see the header comment). 1e6 steps is far above what a host or path
    /// regex ever needs and well under a millisecond of CPU.
    private static let matchLimit: UInt32 = 1_000_000

    /// Compiles `pattern`. Throws when PCRE2 rejects it or when it uses syntax Go RE2 does not have.
    public init(_ pattern: String, caseInsensitive: Bool = false) throws(RegexCompileError) {
        if let problem = RE2Syntax.unsupportedConstruct(in: pattern) {
            throw RegexCompileError(offset: problem.offset, message: problem.message)
        }
        var options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF) | UInt32(PCRE2_DOLLAR_ENDONLY)
            | UInt32(PCRE2_NEVER_BACKSLASH_C)
        if caseInsensitive { options |= UInt32(PCRE2_CASELESS) }
        var errorCode: Int32 = 0
        var errorOffset = 0
        var source = pattern
        let compiled = source.withUTF8 { bytes in
            withUnsafePointer(to: UInt8(0)) { empty in
                pcre2_compile_8(bytes.baseAddress ?? empty, bytes.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw RegexCompileError(offset: errorOffset, message: CompiledRegex.message(for: errorCode))
        }
        guard let data = pcre2_match_data_create_8(1, nil), let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw RegexCompileError(offset: 0, message: "out of memory")
        }
        pcre2_set_match_limit_8(context, CompiledRegex.matchLimit)
        self.pattern = pattern
        self.code = compiled
        self.matchData = data
        self.matchContext = context
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(matchContext)
        pcre2_code_free_8(code)
    }

    public var description: String { pattern }

    /// Number of capturing groups; v2 templates use it to refuse user patterns with their own groups.
    public var captureCount: Int {
        var count: UInt32 = 0
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_CAPTURECOUNT), &count) == 0 else { return 0 }
        return Int(count)
    }

    /// True when the pattern matches anywhere in `subject` (Go's MatchString). Native strings are not copied.
    public func matches(_ subject: String) -> Bool {
        if let found = subject.utf8.withContiguousStorageIfAvailable({ matches(UnsafeRawBufferPointer($0)) }) {
            return found
        }
        var copy = subject
        return copy.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }

    /// Byte range of the first match in `subject`, or nil.
    public func firstMatch(_ subject: String) -> Range<Int>? {
        var copy = subject
        return copy.withUTF8 { bytes -> Range<Int>? in
            guard let base = bytes.baseAddress else { return nil }
            guard pcre2_match_8(code, base, bytes.count, 0, 0, matchData, matchContext) >= 0,
                  let ov = pcre2_get_ovector_pointer_8(matchData) else { return nil }
            return Int(ov[0])..<Int(ov[1])
        }
    }

    /// Replaces every match in `subject` with `replacement` ($1, ${1}, $name refer to groups, as in Go's
    /// Regexp.ReplaceAllString); nil when the pattern does not match.
    public func replacingMatches(in subject: String, with replacement: String) -> String? {
        guard matches(subject) else { return nil }
        var subjectCopy = subject, replacementCopy = replacement
        return subjectCopy.withUTF8 { s in
            replacementCopy.withUTF8 { r in
                var size = max(256, s.count * 2 + r.count)
                for _ in 0..<2 {
                    var out = [UInt8](repeating: 0, count: size)
                    var length = size
                    let options = UInt32(PCRE2_SUBSTITUTE_GLOBAL) | UInt32(PCRE2_SUBSTITUTE_OVERFLOW_LENGTH)
                    let rc = withUnsafePointer(to: UInt8(0)) { empty in
                        pcre2_substitute_8(code, s.baseAddress ?? empty, s.count, 0, options, nil, matchContext,
                                           r.baseAddress ?? empty, r.count, &out, &length)
                    }
                    if rc >= 0 { return String(decoding: out[0..<length], as: UTF8.self) }
                    if rc == PCRE2_ERROR_NOMEMORY { size = length + 1; continue }
                    return nil
                }
                return nil
            }
        }
    }

    /// True when the pattern matches anywhere in `bytes`. Match errors (the match limit) count as no match.
    public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        withUnsafePointer(to: UInt8(0)) { empty in
            let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty
            let result = pcre2_match_8(code, start, bytes.count, 0, 0, matchData, matchContext)
            return result >= 0
        }
    }

    private static func message(for errorCode: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(errorCode)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}
