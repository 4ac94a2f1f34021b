// Starting a compressed response: the compress middlewares' choices meet the backend's head.
import HTTP

extension HTTPSession {
    /// When one of `x`'s compress choices applies to this response head, sets up the compressed body (its
    /// head goes out with the first compressed bytes) and returns true; false to forward the response as
    /// it came. With several compress middlewares the innermost one that compresses wins: it sets
    /// Content-Encoding first, and the outer ones then pass the encoded body on (Traefik nests them so).
    /// `status`, `extra`: the head's status line and added fields as the plain path would write them;
    /// `sniffedType`: the contentType middleware's sniffed Content-Type, which the choice then sees.
    func startCompressing(_ x: HTTPExchange, _ head: HTTPResponseHead, _ bytes: [UInt8], status: Int?,
                          extra plainExtra: [(name: String, value: String)], sniffedType: String?) -> Bool {
        guard let choice = x.compressions.last(where: { $0.compresses(head, bytes, sniffedType: sniffedType) }), let coding = choice.coding,
              let encoder = coding.makeEncoder(length: head.contentLength) else { return false }
        let chunkedOut = x.view.head.version.isAtLeast11
        if !chunkedOut { closeAfterResponse = true }
        var extra = plainExtra + CompressionHead.vary(x.compressions, head, bytes)
        extra.append(("Content-Encoding", coding.rawValue))
        // The backend's framing goes: the head says the compressed body's own.
        extra.append(("Transfer-Encoding", ""))
        // gzhttp drops Accept-Ranges from what it compresses (a range of the encoded body is meaningless);
        // Traefik's br/zstd handler leaves it.
        if coding == .gzip { extra.append(("Accept-Ranges", "")) }
        let close = closeAfterResponse, setCookies = x.setCookies
        x.compressedBody = CompressingBodyForwarder(head.framing, encoder: encoder, chunkedOut: chunkedOut) { length in
            HeadRewriter.response(head, bytes: bytes, close: close, chunked: length == nil && chunkedOut, status: status,
                                  extra: extra + [("Content-Length", length.map { String($0) } ?? "")], setCookies: setCookies)
        }
        return true
    }
}

enum CompressionHead {
    /// `Vary: Accept-Encoding` once per compress middleware that handled the request (each of Traefik's
    /// handlers adds it before the backend's fields are copied in), followed by the backend's own Vary
    /// values: the caller's extra fields replace the backend's field of the same name.
    static func vary(_ choices: [CompressionChoice], _ head: HTTPResponseHead, _ bytes: [UInt8]) -> [(name: String, value: String)] {
        guard !choices.isEmpty else { return [] }
        var lines = choices.map { _ in (name: "Vary", value: "Accept-Encoding") }
        for f in head.fields where HTTPASCII.equalsIgnoringCase(bytes[f.name], "vary".utf8) {
            lines.append((name: "Vary", value: String(decoding: bytes[f.value], as: UTF8.self)))
        }
        return lines
    }
}
