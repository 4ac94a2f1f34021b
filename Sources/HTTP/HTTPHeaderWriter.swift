// Builds a message head into one byte array: the proxy's rewritten request heads (fields copied from the
// parsed head plus X-Forwarded-*), and the heads of the responses it makes itself. Values are made safe to
// send: CR, LF and NUL become spaces, as Go's header writer turns newlines into spaces, so that a configured or
// copied value can never start a new line.

public struct HTTPHeaderWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends to `existing`, whose buffer it takes over (`existing` is left empty): hand the result back
    /// with `existing = writer.bytes`. Writing into a buffer that keeps its capacity between requests (a
    /// session's output) allocates nothing (issue 18).
    public init(appendingTo existing: inout [UInt8], reservingCapacity capacity: Int) {
        bytes = []
        swap(&bytes, &existing)
        bytes.reserveCapacity(bytes.count + capacity)
    }

    /// "METHOD target HTTP/1.x\r\n"
    public mutating func requestLine<M: Collection<UInt8>, T: Collection<UInt8>>(
        method: M, target: T, version: HTTPVersion = .http11
    ) {
        bytes.append(contentsOf: method)
        bytes.append(HTTPASCII.sp)
        for b in target {
            // A target never holds SP or control bytes (the parser refuses them); percent-encode any that a
            // rewrite introduced rather than let them split the request line.
            if b <= 0x20 || b == 0x7F { appendPercentEncoded(b) } else { bytes.append(b) }
        }
        bytes.append(HTTPASCII.sp)
        appendVersion(version)
        appendCRLF()
    }

    /// "HTTP/1.x 404 Not Found\r\n"; `reason` defaults to Go's phrase for `status`.
    public mutating func statusLine(_ status: Int, reason: String? = nil, version: HTTPVersion = .http11) {
        appendVersion(version)
        bytes.append(HTTPASCII.sp)
        appendDecimal(UInt64(max(0, min(status, 999))))
        bytes.append(HTTPASCII.sp)
        appendSanitized((reason ?? HTTPStatus.statusLinePhrase(status)).utf8)
        appendCRLF()
    }

    /// "Name: value\r\n". A name that is not a token is refused (returns false, writes nothing).
    @discardableResult
    public mutating func field<N: Collection<UInt8>, V: Collection<UInt8>>(name: N, value: V) -> Bool {
        guard Self.isToken(name) else { return false }
        bytes.append(contentsOf: name)
        appendValue(value)
        return true
    }

    @discardableResult
    public mutating func field(_ name: String, _ value: String) -> Bool {
        field(name: name.utf8, value: value.utf8)
    }

    /// "Name: 1234\r\n" without formatting through String.
    @discardableResult
    public mutating func field(_ name: String, _ value: UInt64) -> Bool {
        guard Self.isToken(name.utf8) else { return false }
        bytes.append(contentsOf: name.utf8)
        bytes.append(HTTPASCII.colon)
        bytes.append(HTTPASCII.sp)
        appendDecimal(value)
        appendCRLF()
        return true
    }

    /// "Name: value\r\n" for a name stoep itself writes on every request (X-Forwarded-For, Content-Length…):
    /// a literal, so it is a token by construction and is copied as a block, not checked byte by byte — the
    /// check was a tenth of a proxied request's instructions (issue 18).
    public mutating func field<V: Collection<UInt8>>(literal name: StaticString, _ value: V) {
        assert(Self.isToken(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        appendValue(value)
    }

    public mutating func field(literal name: StaticString, _ value: String) {
        field(literal: name, value.utf8)
    }

    public mutating func field(literal name: StaticString, _ value: UInt64) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(HTTPASCII.colon)
        bytes.append(HTTPASCII.sp)
        appendDecimal(value)
        appendCRLF()
    }

    /// ": value\r\n" after a name.
    private mutating func appendValue<V: Collection<UInt8>>(_ value: V) {
        bytes.append(HTTPASCII.colon)
        bytes.append(HTTPASCII.sp)
        appendSanitized(value)
        appendCRLF()
    }

    /// A non-empty run of token bytes; read from contiguous storage where there is one (a String's UTF-8,
    /// an array): iterating a String's UTF8View byte by byte costs several times the comparison.
    static func isToken<C: Collection<UInt8>>(_ name: C) -> Bool {
        if let checked = name.withContiguousStorageIfAvailable({ p in !p.isEmpty && p.allSatisfy(HTTPASCII.isTokenByte) }) {
            return checked
        }
        return !name.isEmpty && name.allSatisfy(HTTPASCII.isTokenByte)
    }

    /// Copies a parsed field line verbatim (original name case, original spacing) from the buffer it was
    /// parsed from. The parser already refused every byte that could break the line.
    public mutating func copyField(_ field: HTTPHeaderField, from buffer: UnsafeRawBufferPointer) {
        guard field.line.upperBound <= buffer.count else { return }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[field.line]))
        appendCRLF()
    }

    public mutating func copyField(_ field: HTTPHeaderField, from buffer: [UInt8]) {
        buffer.withUnsafeBytes { copyField(field, from: $0) }
    }

    /// Appends the empty line that ends the head; `bytes` is then ready to send.
    public mutating func finish() {
        appendCRLF()
    }

    /// The finished head (appends the empty line).
    public consuming func finished() -> [UInt8] {
        appendCRLF()
        return bytes
    }

    private mutating func appendCRLF() {
        bytes.append(HTTPASCII.cr)
        bytes.append(HTTPASCII.lf)
    }

    private mutating func appendVersion(_ version: HTTPVersion) {
        bytes.append(contentsOf: "HTTP/".utf8)
        bytes.append(0x30 + min(version.major, 9))
        bytes.append(UInt8(ascii: "."))
        bytes.append(0x30 + min(version.minor, 9))
    }

    mutating func appendDecimal(_ value: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = 0x30 + UInt8(v % 10)
                v /= 10
                count += 1
            } while v > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends `source` with CR, LF and NUL replaced by SP. Values almost never hold one: from contiguous
    /// storage they are scanned once and copied as a block.
    private mutating func appendSanitized<C: Collection<UInt8>>(_ source: C) {
        let copied = source.withContiguousStorageIfAvailable { p -> Bool in
            guard !p.contains(where: Self.isLineBreaking) else { return false }
            bytes.append(contentsOf: p)
            return true
        }
        if copied == true { return }
        for b in source {
            bytes.append(Self.isLineBreaking(b) ? HTTPASCII.sp : b)
        }
    }

    @inline(__always)
    private static func isLineBreaking(_ b: UInt8) -> Bool { b == HTTPASCII.cr || b == HTTPASCII.lf || b == 0 }

    private mutating func appendPercentEncoded(_ b: UInt8) {
        let hex: StaticString = "0123456789ABCDEF"
        hex.withUTF8Buffer { digits in
            bytes.append(UInt8(ascii: "%"))
            bytes.append(digits[Int(b >> 4)])
            bytes.append(digits[Int(b & 0xF)])
        }
    }
}
