// Running the decoder over a body held entirely in memory: small bodies, tests, and the fuzz loop.

public struct ChunkedBody: Equatable, Sendable {
    /// Bytes of the encoded body through the trailer section; the next message starts here.
    public var encodedLength: Int
    /// Sum of the chunk sizes.
    public var payloadLength: UInt64
    /// The trailer field lines, each with its CRLF, without the final empty line (a range of the scanned buffer).
    public var trailers: Range<Int>
}

extension ChunkedDecoder {
    /// Finds the end of the chunked body at the start of `bytes`; nil while it is incomplete.
    /// `payload`, when given, is called with each piece of chunk data in order.
    public static func scan(_ bytes: UnsafeRawBufferPointer, decoder: ChunkedDecoder = ChunkedDecoder(),
                            payload: ((UnsafeRawBufferPointer) -> Void)? = nil) throws(HTTPChunkedError) -> ChunkedBody? {
        var decoder = decoder
        var position = 0
        var total: UInt64 = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
            switch try decoder.next(rest) {
            case .needMore:
                return nil
            case .chunkHeader(let consumed, let size):
                position += consumed
                total += size
            case .payload(let remaining):
                let available = min(UInt64(rest.count), remaining)
                guard available > 0 else { return nil }
                payload?(UnsafeRawBufferPointer(rebasing: rest[..<Int(available)]))
                position += Int(available)
                decoder.payloadMoved(available)
            case .chunkEnd(let consumed):
                position += consumed
            case .trailers(let consumed):
                let trailers = position..<(position + consumed - 2)
                position += consumed
                return ChunkedBody(encodedLength: position, payloadLength: total, trailers: trailers)
            case .done:
                return ChunkedBody(encodedLength: position, payloadLength: total, trailers: position..<position)
            }
        }
    }

    public static func scan(_ bytes: [UInt8], decoder: ChunkedDecoder = ChunkedDecoder()) throws(HTTPChunkedError) -> ChunkedBody? {
        // withUnsafeBytes rethrows untyped errors, so the typed error travels in a Result.
        try bytes.withUnsafeBytes { p in Result { () throws(HTTPChunkedError) in try scan(p, decoder: decoder) } }.get()
    }

    /// The decoded payload of a complete chunked body at the start of `bytes`, with the scan result; nil while
    /// incomplete. Copies the payload: for tests and small bodies only.
    public static func decode(_ bytes: [UInt8]) throws(HTTPChunkedError) -> (payload: [UInt8], body: ChunkedBody)? {
        var payload: [UInt8] = []
        let body = try bytes.withUnsafeBytes { p in
            Result { () throws(HTTPChunkedError) in try scan(p, payload: { payload.append(contentsOf: $0) }) }
        }.get()
        guard let body else { return nil }
        return (payload, body)
    }
}
