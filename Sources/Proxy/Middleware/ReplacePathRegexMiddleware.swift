// Traefik's `replacePathRegex` middleware (pkg/middlewares/replacepathregex/replace_path_regex.go).
import Rules

/// `replacePathRegex`: when `regex` matches the escaped path, every match is replaced as Go's
/// ReplaceAllString does (`$1`, `${name}`; GoRegexReplace) and the old path goes in X-Replaced-Path. The
/// result is Go's RawPath: a bad escape in it is answered 500; a result that path cleaning would change
/// ("/a//b", "/a/../b") is answered 400, as Traefik refuses it rather than forward an ambiguous path.
final class ReplacePathRegexMiddleware: HTTPMiddleware {
    let name: String
    let regex: CompiledRegex
    let replacement: String
    init(name: String, regex: CompiledRegex, replacement: String) {
        self.name = name
        self.regex = regex
        self.replacement = replacement
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        let current = forward.path
        guard regex.matches(current) else { return nil }
        let raw = regex.goReplaceAll(current, with: replacement)
        let unescaped: [UInt8]
        switch GoURLPath.unescape(raw) {
        case .failure(let e): return .goError(500, e.description)
        case .success(let bytes): unescaped = bytes
        }
        var escaped = GoURLPath.escapedPath(raw: raw, unescaped: unescaped)
        if !unescaped.isEmpty {
            // req.URL.JoinPath(): the cleaned path must unescape to the same path, else 400.
            let joined = GoURLPath.joinPath(escaped)
            guard case .success(let again) = GoURLPath.unescape(joined), again == unescaped else {
                return .goError(400, "Bad Request")
            }
            escaped = joined
        }
        forward.addHeaders.append(("X-Replaced-Path", current))
        forward.path = escaped
        return nil
    }
}
