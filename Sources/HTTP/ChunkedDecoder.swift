// Tracks where a chunked body (RFC 9112 §7.1) ends without copying it. The proxy forwards the encoded bytes as
// they are: it reads chunk-size lines and the trailer section into user space, asks this decoder what they say,
// and moves each chunk's payload with splice(2), reporting how much it moved. Lines must end in CRLF exactly
// (Go 1.23+ refuses bare LF in chunked framing too): a lenient backend must not read a different body end.

public enum HTTPChunkedError: Error, Equatable, Sendable {
    /// chunk-size is empty or holds a non-hex byte.
    case invalidChunkSize
    /// More than 16 hex digits or a size of 2^63 or more (Go's limits).
    case chunkSizeTooLarge
    /// A chunk-size line (with its extensions) longer than `maxLineBytes`.
    case chunkLineTooLong
    /// Chunk extensions that are not `;name[=token|quoted-string]`.
    case invalidChunkExtension
    /// A line not ended by CRLF, or chunk data not followed by CRLF.
    case missingCRLF
    /// A trailer line that is not a valid field line.
    case invalidTrailer
    /// The trailer section is longer than `maxTrailerBytes`.
    case trailersTooLarge
}

public struct ChunkedDecoder: Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        /// The bytes at hand do not complete the next framing element; read more and call again with them.
        case needMore
        /// A chunk-size line of `consumed` bytes; `size` payload bytes follow (0: the last chunk, trailers next).
        case chunkHeader(consumed: Int, size: UInt64)
        /// `remaining` payload bytes of the current chunk are still to be moved; report them with `payloadMoved`.
        case payload(remaining: UInt64)
        /// The CRLF after a chunk's payload (`consumed` is 2).
        case chunkEnd(consumed: Int)
        /// The trailer section with its final empty line, `consumed` bytes; the message ends after them.
        case trailers(consumed: Int)
        /// The body has ended; bytes after it belong to the next message.
        case done
    }

    enum State: Equatable, Sendable {
        case size, payload(UInt64), payloadEnd, trailers, done
    }

    /// Bound on one chunk-size line; Go's chunked reader uses 4096 too.
    public var maxLineBytes: Int
    /// Bound on the trailer section, which must fit in the caller's buffer at once.
    public var maxTrailerBytes: Int
    private(set) var state: State = .size

    public init(maxLineBytes: Int = 4096, maxTrailerBytes: Int = 16 << 10) {
        self.maxLineBytes = maxLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    public var isDone: Bool { state == .done }
    /// At a chunk's boundary: the next bytes are a payload's CRLF or a size line (framing, no payload).
    public var isBetweenChunks: Bool { state == .payloadEnd || state == .size }

    /// Looks at `bytes` (the encoded stream from the current position on) and says what comes next. Steps that
    /// report `consumed` advance the decoder: the caller forwards those bytes and drops them from `bytes` before
    /// the next call. `.payload` consumes nothing: the caller moves up to `remaining` bytes (by splice, or from
    /// its buffer) and calls `payloadMoved`.
    public mutating func next(_ bytes: UnsafeRawBufferPointer) throws(HTTPChunkedError) -> Step {
        switch state {
        case .size:
            guard let lineEnd = try Self.lineEnd(bytes, from: 0, limit: maxLineBytes, tooLong: .chunkLineTooLong) else {
                return .needMore
            }
            let size = try Self.parseSizeLine(bytes, 0..<lineEnd)
            state = size == 0 ? .trailers : .payload(size)
            return .chunkHeader(consumed: lineEnd + 2, size: size)
        case .payload(let remaining):
            return .payload(remaining: remaining)
        case .payloadEnd:
            if bytes.count >= 1, bytes[0] != HTTPASCII.cr { throw .missingCRLF }
            if bytes.count < 2 { return .needMore }
            guard bytes[1] == HTTPASCII.lf else { throw .missingCRLF }
            state = .size
            return .chunkEnd(consumed: 2)
        case .trailers:
            guard let consumed = try Self.trailerSectionLength(bytes, limit: maxTrailerBytes, lineLimit: maxLineBytes) else {
                return .needMore
            }
            state = .done
            return .trailers(consumed: consumed)
        case .done:
            return .done
        }
    }

    public mutating func next(_ bytes: [UInt8]) throws(HTTPChunkedError) -> Step {
        var copy = self
        let result = bytes.withUnsafeBytes { p in Result { () throws(HTTPChunkedError) -> Step in try copy.next(p) } }
        self = copy
        return try result.get()
    }

    /// Reports that `count` payload bytes of the current chunk were forwarded. Counts beyond the chunk are the
    /// caller's bug; they are clamped so that the framing stays where the wire says it is.
    public mutating func payloadMoved(_ count: UInt64) {
        guard case .payload(let remaining) = state else { return }
        let left = remaining - min(count, remaining)
        state = left == 0 ? .payloadEnd : .payload(left)
    }

    /// Index of the CR of the first CRLF at or after `start`, nil if the bytes end first. Throws on a bare LF
    /// or CR, or when no line end lies within `limit` bytes.
    static func lineEnd(_ p: UnsafeRawBufferPointer, from start: Int, limit: Int,
                        tooLong: HTTPChunkedError) throws(HTTPChunkedError) -> Int? {
        let longerThanLimit = limit < p.count - start
        let reach = longerThanLimit ? start + max(0, limit) + 1 : p.count
        var i = start
        while i < reach {
            if p[i] == HTTPASCII.lf { throw .missingCRLF }
            if p[i] == HTTPASCII.cr {
                guard i + 1 < p.count else { return nil }
                guard p[i + 1] == HTTPASCII.lf else { throw .missingCRLF }
                return i
            }
            i += 1
        }
        if longerThanLimit { throw tooLong }
        return nil
    }

    /// chunk-size [chunk-ext]: 1*HEXDIG, then *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ).
    static func parseSizeLine(_ p: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPChunkedError) -> UInt64 {
        var i = line.lowerBound
        var size: UInt64 = 0
        var digits = 0
        while i < line.upperBound, let d = HTTPASCII.hexValue(p[i]) {
            digits += 1
            guard digits <= 16 else { throw .chunkSizeTooLarge }
            size = size << 4 | UInt64(d)
            i += 1
        }
        guard digits > 0 else { throw .invalidChunkSize }
        guard size < 1 << 63 else { throw .chunkSizeTooLarge }
        guard i == line.upperBound || p[i] == HTTPASCII.semicolon || HTTPASCII.isWhitespace(p[i]) else {
            throw .invalidChunkSize
        }
        try ChunkExtensions.validate(p, i..<line.upperBound)
        return size
    }

    /// Length of the trailer section through its empty line, nil while incomplete (RFC 9112 §7.1.2).
    static func trailerSectionLength(_ p: UnsafeRawBufferPointer, limit: Int,
                                     lineLimit: Int) throws(HTTPChunkedError) -> Int? {
        var start = 0
        while true {
            let reach = min(lineLimit, limit - start)
            if reach < 0 { throw .trailersTooLarge }
            guard let end = try lineEnd(p, from: start, limit: reach, tooLong: .trailersTooLarge) else {
                if p.count >= limit { throw .trailersTooLarge }
                return nil
            }
            if end == start { return end + 2 }
            try validateTrailerLine(p, start..<end)
            start = end + 2
        }
    }

    private static func validateTrailerLine(_ p: UnsafeRawBufferPointer, _ line: Range<Int>) throws(HTTPChunkedError) {
        var i = line.lowerBound
        while i < line.upperBound, HTTPASCII.isTokenByte(p[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, p[i] == HTTPASCII.colon else { throw .invalidTrailer }
        for j in (i + 1)..<line.upperBound where !HTTPASCII.isFieldValueByte(p[j]) { throw .invalidTrailer }
    }
}
