// Traefik's `stripPrefixRegex` middleware (pkg/middlewares/stripprefixregex).
import Rules

/// `stripPrefixRegex`: strips the part of the path a regex matches at its start.
final class StripPrefixRegexMiddleware: HTTPMiddleware {
    let name: String
    let regexes: [CompiledRegex]
    init(name: String, regexes: [CompiledRegex]) {
        self.name = name
        self.regexes = regexes
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        for r in regexes {
            guard let m = r.firstMatch(forward.path), m.lowerBound == 0, m.upperBound > 0 else { continue }
            let bytes = Array(forward.path.utf8)
            let prefix = String(decoding: bytes[0..<m.upperBound], as: UTF8.self)
            var rest = String(decoding: bytes[m.upperBound...], as: UTF8.self)
            if !rest.hasPrefix("/") { rest = "/" + rest }
            forward.path = rest
            forward.setHeaders.append(("X-Forwarded-Prefix", prefix))
            break
        }
        return nil
    }
}
