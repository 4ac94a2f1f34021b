import HTTP

// `http.middlewares.NAME.compress`, validated as Traefik 3.7's compress.New does: encodings from gzip, br
// and zstd (default all three in that order), a defaultEncoding among them, excludedContentTypes and
// includedContentTypes mutually exclusive and each a parseable media type, minResponseBodyBytes 1024 when
// unset, zero or negative (pkg/middlewares/compress/compress.go).

public struct TraefikCompress: Sendable, Hashable {
    public static let supportedEncodings = ["gzip", "br", "zstd"]

    /// In preference order (the order Traefik breaks equal q-values with).
    public var encodings: [String]
    /// Used when the request has no Accept-Encoding, or when its best match is `*`; "" = none.
    public var defaultEncoding: String
    /// Compared with the response's (and, for the request side, the request's) Content-Type.
    public var excludedContentTypes: [String]
    public var includedContentTypes: [String]
    public var minResponseBodyBytes: Int64

    public init(encodings: [String] = TraefikCompress.supportedEncodings, defaultEncoding: String = "",
                excludedContentTypes: [String] = [], includedContentTypes: [String] = [], minResponseBodyBytes: Int64 = 1024) {
        self.encodings = encodings
        self.defaultEncoding = defaultEncoding
        self.excludedContentTypes = excludedContentTypes
        self.includedContentTypes = includedContentTypes
        self.minResponseBodyBytes = minResponseBodyBytes
    }

    static func decode(_ body: TraefikSection, log: inout TraefikIssueLog) -> TraefikCompress? {
        body.warnUnknownKeys(allowed: ["encodings", "defaultEncoding", "excludedContentTypes", "includedContentTypes",
                                       "minResponseBodyBytes"], log: &log)
        var c = TraefikCompress()
        var valid = true
        if let encodings = body.strings("encodings", &log) {
            c.encodings = encodings
        }
        if c.encodings.isEmpty {
            log.error(body.node("encodings")?.location ?? body.location, body.path("encodings"), "at least one encoding must be specified")
            valid = false
        }
        for (index, e) in c.encodings.enumerated() where !supportedEncodings.contains(e) {
            log.error(body.node("encodings")?.location ?? body.location, "\(body.path("encodings"))[\(index)]",
                      "unsupported encoding '\(e)'; expected one of: \(supportedEncodings.joined(separator: ", "))")
            valid = false
        }
        c.defaultEncoding = body.string("defaultEncoding", &log) ?? ""
        if !c.defaultEncoding.isEmpty && !c.encodings.contains(c.defaultEncoding) {
            log.error(body.node("defaultEncoding")?.location ?? body.location, body.path("defaultEncoding"),
                      "unsupported default encoding '\(c.defaultEncoding)'; it must be one of encodings (\(c.encodings.joined(separator: ", ")))")
            valid = false
        }
        c.excludedContentTypes = body.strings("excludedContentTypes", &log) ?? []
        c.includedContentTypes = body.strings("includedContentTypes", &log) ?? []
        if !c.excludedContentTypes.isEmpty && !c.includedContentTypes.isEmpty {
            log.error(body.location, body.path("includedContentTypes"), "excludedContentTypes and includedContentTypes options are mutually exclusive")
            valid = false
        }
        for key in ["excludedContentTypes", "includedContentTypes"] {
            let list = key == "excludedContentTypes" ? c.excludedContentTypes : c.includedContentTypes
            for (index, type) in list.enumerated() where MediaType(type) == nil {
                log.error(body.node(key)?.location ?? body.location, "\(body.path(key))[\(index)]", "cannot parse media type '\(type)'")
                valid = false
            }
        }
        // Zero or below is the default, as compress.New takes only a positive value.
        let min = body.integer("minResponseBodyBytes", &log) ?? 0
        c.minResponseBodyBytes = min > 0 ? min : 1024
        return valid ? c : nil
    }
}
