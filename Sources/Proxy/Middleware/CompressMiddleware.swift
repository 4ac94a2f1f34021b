// compress: picks the coding for a request as Traefik 3.7's compress middleware does
// (pkg/middlewares/compress/compress.go ServeHTTP); the response head settles whether it is used
// (Compression/CompressionChoice.swift) and Session/CompressingBodyForwarder.swift streams the body through
// the encoder.
import Config
import HTTP

final class CompressMiddleware: HTTPMiddleware {
    let name: String
    private let config: TraefikCompress
    private let rules: CompressionRules

    /// Fails with Traefik's reason for a media type that does not parse (the decoder refuses those first).
    init?(name: String, config: TraefikCompress) {
        var excluded = [MediaType("application/grpc")!]
        for t in config.excludedContentTypes {
            guard let m = MediaType(t) else { return nil }
            excluded.append(m)
        }
        var included: [MediaType] = []
        for t in config.includedContentTypes {
            guard let m = MediaType(t) else { return nil }
            included.append(m)
        }
        self.name = name
        self.config = config
        rules = CompressionRules(minSize: config.minResponseBodyBytes, excluded: excluded, included: included)
    }

    /// Never answers. Adds a CompressionChoice when Traefik would hand the request to a compressing handler:
    /// not for HEAD, nor for a request whose own Content-Type is excluded (text/event-stream requests, as
    /// Traefik's comment says), nor without Accept-Encoding unless defaultEncoding is set, nor when the
    /// negotiation ends on identity or nothing acceptable.
    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if request.head.knownMethod == .head { return nil }
        if let type = request.header("Content-Type").flatMap(MediaType.init), rules.excluded.contains(where: { $0.type == type.type }) {
            return nil
        }
        let lines = request.headerValues(named: "Accept-Encoding")
        let chosen: String?
        if lines.isEmpty {
            chosen = config.defaultEncoding.isEmpty ? nil : config.defaultEncoding
        } else {
            chosen = AcceptEncoding.negotiate(lines, encodings: config.encodings, defaultEncoding: config.defaultEncoding)
        }
        guard let chosen, let coding = ContentCoding(rawValue: chosen) else { return nil }
        // gzhttp looks at Accept-Encoding again and compresses only when it names gzip with q > 0 (so not
        // for "*", nor for defaultEncoding gzip without the header).
        let usable = coding != .gzip || AcceptEncoding.gzipQuality(lines.first ?? "") > 0
        forward.compressions.append(CompressionChoice(coding: usable ? coding : nil, rules: rules))
        return nil
    }
}
