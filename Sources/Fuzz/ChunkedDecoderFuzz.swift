// The chunked decoder (request bodies from clients, response bodies from backends), driven the way the proxy
// drives it: bytes arriving in pieces, payload moved separately. The first byte picks the piece size; the
// rest is the encoded body. Contract checked: the decoded payload, the encoded length and the error do not
// depend on how the stream was split, and agree with the whole-buffer decode.
import HTTP

enum ChunkedDecoderFuzz {
    @Sendable static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let bytes = Array(input.dropFirst())
        let whole: Result<(payload: [UInt8], body: ChunkedBody)?, HTTPChunkedError> = Result { () throws(HTTPChunkedError) in
            try ChunkedDecoder.decode(bytes)
        }
        let streamed = stream(bytes, piece: Int(first % 16) + 1)
        switch (whole, streamed) {
        case (.success(let w?), .success(let s?)):
            precondition(w.payload == s.payload && w.body.encodedLength == s.consumed, "split changed the decoded body")
        case (.success(nil), .success(nil)), (.failure, .failure): break
        default:
            preconditionFailure("split changed whether the body is complete: \(whole) vs \(streamed)")
        }
    }

    /// Feeds `bytes` `piece` bytes more at a time, as reads would deliver them.
    static func stream(_ bytes: [UInt8], piece: Int) -> Result<(payload: [UInt8], consumed: Int)?, HTTPChunkedError> {
        var decoder = ChunkedDecoder()
        var position = 0
        var available = min(piece, bytes.count)
        var payload: [UInt8] = []
        var steps = 0
        while steps < 1_000_000 {
            steps += 1
            let step: ChunkedDecoder.Step
            do { step = try decoder.next(Array(bytes[position..<available])) } catch { return .failure(error) }
            switch step {
            case .needMore:
                if available == bytes.count { return .success(nil) }
                available = min(available + piece, bytes.count)
            case .chunkHeader(let consumed, _), .chunkEnd(let consumed), .trailers(let consumed):
                precondition(consumed > 0 && position + consumed <= available, "consumed past what was given")
                position += consumed
            case .payload(let remaining):
                let moved = min(UInt64(available - position), remaining)
                if moved == 0 {
                    if available == bytes.count { return .success(nil) }
                    available = min(available + piece, bytes.count)
                    continue
                }
                payload += bytes[position..<position + Int(moved)]
                position += Int(moved)
                decoder.payloadMoved(moved)
            case .done:
                return .success((payload, position))
            }
        }
        preconditionFailure("the decoder made no progress")
    }
}
