// Byte classes of HTTP/1.1 (RFC 9110 §5.6.2 tokens, §5.5 field values) and ASCII case folding that
// compares header names in place, without building Strings.

/// ASCII rules the HTTP parsers and writers share. Everything here is allocation-free.
public enum HTTPASCII {
    public static let cr = UInt8(ascii: "\r")
    public static let lf = UInt8(ascii: "\n")
    public static let sp = UInt8(ascii: " ")
    public static let htab = UInt8(ascii: "\t")
    public static let colon = UInt8(ascii: ":")
    public static let comma = UInt8(ascii: ",")
    public static let semicolon = UInt8(ascii: ";")

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    /// Looked up in two 64-bit masks (bytes 0–63, 64–127) instead of a switch of ranges: one shift, no
    /// branch per class; every header name's byte passes through here.
    @inline(__always)
    public static func isTokenByte(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_6CFA_0000_0000   // ! # $ % & ' * + - . 0-9
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE  // A-Z ^ _ ` a-z | ~
        return b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 ? (high >> UInt64(b &- 64)) & 1 != 0 : false
    }

    /// Eight bytes at once (SWAR, "SIMD within a register"): the high bit of the lowest byte of `word`
    /// (little-endian: the first in memory) that is below `n` (n ≤ 0x80) is set in the result, 0 when none
    /// is; higher bits may be false alarms (a borrow), so only the lowest set bit means something.
    @inline(__always)
    static func bytesBelow(_ n: UInt8, in word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101 &* UInt64(n)) & ~word & 0x8080_8080_8080_8080
    }

    /// The eight bytes at `offset`, the first in the lowest bits whatever the machine's byte order.
    @inline(__always)
    static func word(_ p: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A field-value byte: VCHAR, obs-text, SP or HTAB. Everything else (NUL, CR, LF, other CTLs, DEL) is refused,
    /// as Go's httpguts.ValidHeaderFieldValue does.
    @inline(__always)
    public static func isFieldValueByte(_ b: UInt8) -> Bool {
        b == htab || (b >= 0x20 && b != 0x7F)
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// The value of a hex digit (either case), nil for any other byte: chunk sizes, percent-escapes.
    @inline(__always)
    public static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    @inline(__always)
    public static func lowercased(_ b: UInt8) -> UInt8 {
        (b &- 0x41) < 26 ? b | 0x20 : b
    }

    @inline(__always)
    public static func uppercased(_ b: UInt8) -> UInt8 {
        (b &- 0x61) < 26 ? b & ~0x20 : b
    }

    /// True when `bytes` equals `literal` ignoring ASCII case. Lengths first, then the bytes straight from
    /// the literal's storage: through `withUTF8Buffer` each call was a closure call of ~200 instructions, and
    /// the proxy makes several per header field (issue 18).
    @inline(__always)
    public static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard literal.utf8CodeUnitCount == bytes.count else { return false }
        // A one-scalar literal may be stored as the scalar itself, without a pointer.
        guard literal.hasPointerRepresentation else {
            return literal.withUTF8Buffer { equalsIgnoringCase(bytes, UnsafeRawBufferPointer($0)) }
        }
        return equalsIgnoringCase(bytes, UnsafeRawBufferPointer(start: literal.utf8Start, count: bytes.count))
    }

    /// True when two byte buffers are equal ignoring ASCII case.
    @inline(__always)
    public static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count {
            let x = a[i], y = b[i]
            if x != y && lowercased(x) != lowercased(y) { return false }
        }
        return true
    }

    /// True when two byte collections are equal ignoring ASCII case (header names, tokens). Contiguous ones
    /// (a String's UTF-8, arrays) are compared as buffers: a String's UTF8View walked index by index costs
    /// several times as much.
    public static func equalsIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        let contiguous = a.withContiguousStorageIfAvailable { pa in
            b.withContiguousStorageIfAvailable { pb in equalsIgnoringCase(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) }
        }
        if let contiguous, let equal = contiguous { return equal }
        guard a.count == b.count else { return false }
        var j = b.startIndex
        for x in a {
            if lowercased(x) != lowercased(b[j]) { return false }
            j = b.index(after: j)
        }
        return true
    }

    /// True when `bytes` (a header name, say) equals `literal` ignoring ASCII case.
    public static func equalsIgnoringCase<A: Collection<UInt8>>(_ bytes: A, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { equalsIgnoringCase(bytes, $0) }
    }

    /// Range of `range` without leading and trailing SP/HTAB (OWS, RFC 9110 §5.6.3).
    static func trimmed(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi, isWhitespace(p[lo]) { lo += 1 }
        while hi > lo, isWhitespace(p[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    /// Calls `body` with each element of a comma-separated list (RFC 9110 §5.6.1), trimmed of OWS.
    /// Empty elements are passed too, so that callers decide whether they are acceptable.
    public static func forEachListElement(_ p: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        var i = range.lowerBound
        while i <= range.upperBound {
            if i == range.upperBound || p[i] == comma {
                body(trimmed(p, start..<i))
                start = i + 1
            }
            i += 1
        }
    }
}
