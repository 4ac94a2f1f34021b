// A bounds-checked cursor over untrusted TLS bytes (RFC 8446 §3 presentation language: big-endian integers
// and length-prefixed vectors). Every read past the end returns nil instead of trapping, so a parser built
// on it turns any truncation or lying length into "malformed" rather than a crash.
struct TLSWireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    /// Reads `bytes[start..<end]`; `end` is clamped to the array, so a bad bound only shortens the view.
    init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.end = min(max(end ?? bytes.count, 0), bytes.count)
        self.offset = min(max(start, 0), self.end)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> Int? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
    }

    mutating func u24() -> Int? {
        guard remaining >= 3 else { return nil }
        defer { offset += 3 }
        return Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
    }

    /// Skips `count` bytes; false (and no move) when fewer remain.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        offset += count
        return true
    }

    /// The next `count` bytes as a copy; nil when fewer remain.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A reader over the next `length` bytes, advancing past them: the body of a vector whose length
    /// prefix was just read. nil when the vector would run past the end.
    mutating func vector(length: Int) -> TLSWireReader? {
        guard length >= 0, remaining >= length else { return nil }
        defer { offset += length }
        return TLSWireReader(bytes, start: offset, end: offset + length)
    }

    /// `opaque x<0..2^8-1>`: a one-byte length, then that many bytes.
    mutating func vector8() -> TLSWireReader? {
        guard let length = u8() else { return nil }
        return vector(length: Int(length))
    }

    /// `opaque x<0..2^16-1>`: a two-byte length, then that many bytes.
    mutating func vector16() -> TLSWireReader? {
        guard let length = u16() else { return nil }
        return vector(length: length)
    }
}
