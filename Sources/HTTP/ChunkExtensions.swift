// Chunk extensions (RFC 9112 §7.1.1) are checked, never interpreted: stoep forwards them unchanged, but a
// malformed one means the sender and the backend may disagree about where the size line ends.

enum ChunkExtensions {
    /// Validates `range`, the rest of a chunk-size line after its hex digits:
    /// *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ).
    static func validate(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) throws(HTTPChunkedError) {
        var i = range.lowerBound
        let end = range.upperBound
        func skipWhitespace() { while i < end, HTTPASCII.isWhitespace(p[i]) { i += 1 } }
        func skipToken() -> Bool {
            let start = i
            while i < end, HTTPASCII.isTokenByte(p[i]) { i += 1 }
            return i > start
        }
        while i < end {
            skipWhitespace()
            guard i < end, p[i] == HTTPASCII.semicolon else { throw .invalidChunkExtension }
            i += 1
            skipWhitespace()
            guard skipToken() else { throw .invalidChunkExtension }
            skipWhitespace()
            guard i < end, p[i] == UInt8(ascii: "=") else { continue }
            i += 1
            skipWhitespace()
            if i < end, p[i] == UInt8(ascii: "\"") {
                i = try quotedStringEnd(p, from: i, end: end)
            } else if !skipToken() {
                throw .invalidChunkExtension
            }
        }
    }

    /// Index after the closing quote of the quoted-string opening at `start` (RFC 9110 §5.6.4).
    private static func quotedStringEnd(_ p: UnsafeRawBufferPointer, from start: Int,
                                        end: Int) throws(HTTPChunkedError) -> Int {
        var i = start + 1
        while i < end {
            let b = p[i]
            if b == UInt8(ascii: "\"") { return i + 1 }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < end, HTTPASCII.isFieldValueByte(p[i]) else { throw .invalidChunkExtension }
            } else if !HTTPASCII.isFieldValueByte(b) {
                throw .invalidChunkExtension
            }
            i += 1
        }
        throw .invalidChunkExtension
    }
}
