// From Traefik's middleware configuration to the middlewares a router runs. Adding a middleware type is
// one file in this directory and one case here.
import Config
import Rules

enum MiddlewareBuilder {
    struct Why: Error, CustomStringConvertible { let description: String }

    /// The middlewares `name` (qualified) stands for, in order: one, none (a type stoep ignores), or a
    /// chain's members flattened. Fails with the reason for a missing name, a configuration stoep cannot
    /// use, or a chain nested more than ten deep.
    /// `services`: the services by qualified name, for the errors middleware's page service.
    static func chain(_ name: String, _ all: [String: TraefikMiddleware], services: [String: HTTPService] = [:],
                      depth: Int = 0) -> Result<[HTTPMiddleware], Why> {
        guard depth < 10 else { return .failure(Why(description: "chain nested too deep")) }
        guard let m = all[name] else { return .failure(Why(description: "not found")) }
        switch m.kind {
        case .headers(let h): return HeadersMiddleware.make(name: name, config: h).map { [$0] }
        case .stripPrefix(let prefixes, let forceSlash): return .success([StripPrefixMiddleware(name: name, prefixes: prefixes, forceSlash: forceSlash)])
        case .addPrefix(let p): return .success([AddPrefixMiddleware(name: name, prefix: p)])
        case .redirectScheme(let r): return .success([RedirectSchemeMiddleware(name: name, config: r)])
        case .ipAllowList(let a): return .success([IPAllowListMiddleware(name: name, config: a)])
        case .basicAuth(let config):
            switch BasicAuthMiddleware.make(name: name, config: config) {
            case .success(let m): return .success([m])
            case .failure(let e): return .failure(Why(description: e.description))
            }
        case .digestAuth(let config):
            switch DigestAuthMiddleware.make(name: name, config: config) {
            case .success(let m): return .success([m])
            case .failure(let e): return .failure(Why(description: e.description))
            }
        case .forwardAuth(let config):
            switch ForwardAuthMiddleware.make(name: name, config: config) {
            case .success(let m): return .success([m])
            case .failure(let e): return .failure(Why(description: e.description))
            }
        case .chain(let names):
            var out: [HTTPMiddleware] = []
            for n in names {
                switch chain(n, all, services: services, depth: depth + 1) {
                case .success(let list): out += list
                case .failure(let e): return .failure(Why(description: "in chain: \(n): \(e)"))
                }
            }
            return .success(out)
        case .ignored: return .success([])
        case .circuitBreaker(let c): return .success([CircuitBreakerMiddleware(name: name, config: c)])
        case .compress(let c):
            guard let m = CompressMiddleware(name: name, config: c) else { return .failure(Why(description: "a content type does not parse")) }
            return .success([m])
        case .replacePath(let path): return .success([ReplacePathMiddleware(name: name, path: path)])
        case .replacePathRegex(let regex, let replacement):
            do {
                return .success([ReplacePathRegexMiddleware(name: name, regex: try CompiledRegex(regex), replacement: replacement)])
            } catch {
                return .failure(Why(description: "error compiling regular expression \(regex): \(error)"))
            }
        // autoDetect false: Traefik returns the next handler itself (sniffing stays off).
        case .contentType(let autoDetect): return .success(autoDetect == false ? [] : [ContentTypeMiddleware(name: name)])
        case .rateLimit(let config): return .success([RateLimitMiddleware(name: name, config: config)])
        case .inFlightReq(let config): return .success([InFlightReqMiddleware(name: name, config: config)])
        case .retry(let config): return .success([RetryMiddleware(name: name, config: config)])
        case .errors(let config):
            guard let service = services[config.service] else {
                return .failure(Why(description: "errors: service \(config.service) not found"))
            }
            return .success([ErrorPagesMiddleware(name: name, config: config, service: service)])
        case .inFlightConn: return .failure(Why(description: "inFlightConn is a TCP middleware"))
        case .buffering(let max): return .success([BufferingMiddleware(name: name, limit: UInt64(max))])
        case .stripPrefixRegex(let patterns):
            do {
                let compiled = try patterns.map { (p: String) throws(RegexCompileError) -> CompiledRegex in try CompiledRegex(p) }
                return .success([StripPrefixRegexMiddleware(name: name, regexes: compiled)])
            } catch {
                return .failure(Why(description: "regex: \(error)"))
            }
        case .redirectRegex(let r):
            do {
                let compiled = try CompiledRegex(r.regex)
                return .success([RedirectRegexMiddleware(name: name, regex: compiled, replacement: r.replacement,
                                                         permanent: r.permanent)])
            } catch {
                return .failure(Why(description: "regex: \(error)"))
            }
        }
    }
}
