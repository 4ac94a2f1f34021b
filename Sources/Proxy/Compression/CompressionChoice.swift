// What one compress middleware decided from the request, and what the backend's response head settles.
// Traefik runs gzip through klauspost's gzhttp and br/zstd through its own CompressionHandler; the two
// decide differently, and each rule below names the one it follows.
import HTTP

struct CompressionChoice {
    /// The coding to use, or nil when Traefik's handler runs but will not compress (gzip chosen, yet gzhttp
    /// finds no gzip in Accept-Encoding: Vary is still added).
    let coding: ContentCoding?
    let rules: CompressionRules

    /// Whether this response is compressed, from its head alone (`bytes`: the head's bytes).
    ///
    /// Both handlers: never a body-less answer (HEAD, 204, 304, a zero length), never one that already has a
    /// Content-Encoding, never one whose declared length is below minResponseBodyBytes (they buffer that
    /// many bytes first, so a shorter body goes out plain). A body of unknown length is compressed however
    /// short it turns out: Traefik's reverse proxy flushes such a body after each read, and a flush starts
    /// compression in both handlers.
    /// gzip (gzhttp) only: never a response with Content-Range (a 206), and a Content-Type that does not
    /// parse is compressed unless includedContentTypes is set. br/zstd only: a Content-Type that does not
    /// parse is not compressed; a 206 is.
    /// `sniffedType`: a Content-Type the contentType middleware sniffed for a head without one.
    func compresses(_ head: HTTPResponseHead, _ bytes: [UInt8], sniffedType: String? = nil) -> Bool {
        guard coding != nil else { return false }
        switch head.framing {
        case .none, .tunnel: return false
        case .contentLength(let n): if n == 0 || n < UInt64(rules.minSize) { return false }
        case .chunked, .untilClose: break
        }
        if let encoding = Self.value("content-encoding", head, bytes), !encoding.isEmpty { return false }
        let contentType = Self.value("content-type", head, bytes).flatMap { $0.isEmpty ? nil : $0 } ?? sniffedType
        if coding == .gzip {
            if Self.value("content-range", head, bytes).map({ !$0.isEmpty }) ?? false { return false }
            return rules.gzipAccepts(contentType)
        }
        return rules.handlerAccepts(contentType)
    }

    /// The first value of field `name` (lower-case), as Go's Header.Get.
    static func value(_ name: String, _ head: HTTPResponseHead, _ bytes: [UInt8]) -> String? {
        for f in head.fields where HTTPASCII.equalsIgnoringCase(bytes[f.name], name.utf8) {
            return String(decoding: bytes[f.value], as: UTF8.self)
        }
        return nil
    }
}

/// A compress middleware's content-type lists and minimum size.
struct CompressionRules {
    let minSize: Int64
    /// "application/grpc" and excludedContentTypes, parsed.
    let excluded: [MediaType]
    let included: [MediaType]

    /// gzhttp's content-type filter for a response: with a Content-Type, included (must match, and parse)
    /// or excluded (must not match; an unparseable one matches nothing). Without one gzhttp sniffs the body
    /// (http.DetectContentType); stoep does not read the body before the head, so a response without
    /// Content-Type passes the excluded list and fails the included one (docs/proxy.md).
    func gzipAccepts(_ contentType: String?) -> Bool {
        guard let contentType else { return included.isEmpty }
        let parsed = MediaType(contentType)
        if !included.isEmpty { return parsed.map { p in included.contains { $0.matches(p) } } ?? false }
        return !(parsed.map { p in excluded.contains { $0.matches(p) } } ?? false)
    }

    /// Traefik's CompressionHandler (br, zstd): no Content-Type compresses; one that does not parse does not;
    /// then the included list must match, and the excluded list must not.
    func handlerAccepts(_ contentType: String?) -> Bool {
        guard let contentType else { return true }
        guard let parsed = MediaType(contentType) else { return false }
        if !included.isEmpty && !included.contains(where: { $0.matches(parsed) }) { return false }
        return !excluded.contains { $0.matches(parsed) }
    }
}
