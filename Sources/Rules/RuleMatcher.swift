// One HTTP matcher of a parsed rule — `Host(`a`)`, v2 `Headers(`k`, `v`)` — and how it tests a request.
// Semantics follow Traefik's pkg/muxer/http/matcher.go (v3) and matcher_v2.go (v2); see RuleMatcherBuilder.
import HTTP
public struct RuleMatcher: CustomStringConvertible {
    /// Canonical matcher name ("HostRegexp" even if the rule spelt "hostregexp").
    public let name: String
    /// Argument values as written (after unquoting).
    public let arguments: [String]
    public let syntax: RuleSyntax
    let test: Test

    /// A v2 Path/PathPrefix value: literal when it has no `{...}` placeholder, else a compiled template.
    enum PathPattern {
        case exact(String)
        case prefix(String)
        case template(CompiledRegex)
    }

    enum Test {
        case anyHost                                  // v3 Host(`*`)
        case host(String)                             // v3: lower-cased, may be `*.x` (one label)
        case hosts([String])                          // v2: lower-cased, any equal
        case hostRegexps([CompiledRegex])             // v3 one pattern; v2 one template per argument
        case methods([String])                        // upper-cased, any equal
        case path(String)
        case pathPrefix(String)
        case pathRegexp(CompiledRegex)
        case paths([PathPattern])                     // v2 Path/PathPrefix, any
        case header(name: String, value: String)
        case headerRegexp(name: String, CompiledRegex)
        case headers([(name: String, value: String)])               // v2 Headers, all pairs
        case headersRegexp([(name: String, regex: CompiledRegex)])  // v2 HeadersRegexp, all pairs
        case query(key: String, value: String)
        case queryRegexp(key: String, CompiledRegex)
        case queryTemplates([(key: String, regex: CompiledRegex)])  // v2 Query, all pairs
        case clientIP([ClientIPRange])
    }

    /// True when `request` satisfies this matcher.
    public func matches<R: RuleRequest>(_ request: R) -> Bool {
        switch test {
        case .anyHost:
            return true
        case .host(let expression):
            return HostExpression.matches(host: request.host, expression: expression)
        case .hosts(let hosts):
            let host = request.host
            return !host.isEmpty && hosts.contains { $0 == host || ($0.hasSuffix(".") && $0.dropLast() == host) }
        case .hostRegexps(let regexes):
            return regexes.contains { $0.matches(request.host) }
        case .methods(let methods):
            return methods.contains(request.method)
        case .path(let path):
            return request.path == path
        case .pathPrefix(let prefix):
            return request.path.utf8.starts(with: prefix.utf8)
        case .pathRegexp(let regex):
            return regex.matches(request.path)
        case .paths(let patterns):
            let path = request.path
            return patterns.contains { pattern in
                switch pattern {
                case .exact(let exact): return path == exact
                case .prefix(let prefix): return path.utf8.starts(with: prefix.utf8)
                case .template(let regex): return regex.matches(path)
                }
            }
        case .header(let name, let value):
            return request.headerValues(named: name).contains(value)
        case .headerRegexp(let name, let regex):
            return request.headerValues(named: name).contains { regex.matches($0) }
        case .headers(let pairs):
            return pairs.allSatisfy { request.headerValues(named: $0.name).contains($0.value) }
        case .headersRegexp(let pairs):
            return pairs.allSatisfy { pair in
                request.headerValues(named: pair.name).contains { pair.regex.matches($0) }
            }
        case .query(let key, let value):
            return request.queryValues(forKey: key)?.contains(value) ?? false
        case .queryRegexp(let key, let regex):
            return request.queryValues(forKey: key)?.contains { regex.matches($0) } ?? false
        case .queryTemplates(let pairs):
            // gorilla matches "key=<first value>" of the request against the anchored "key=value" template.
            return pairs.allSatisfy { pair in
                guard let first = request.queryValues(forKey: pair.key)?.first else { return false }
                return pair.regex.matches(pair.key + "=" + first)
            }
        case .clientIP(let ranges):
            guard let ip = request.clientIP else { return false }
            return ranges.contains { $0.contains(ip) }
        }
    }

    /// The call as it could be written back into a rule: Name(`a`, `b`).
    public var description: String {
        "\(name)(" + arguments.map(RuleMatcher.quote).joined(separator: ", ") + ")"
    }

    /// Backticks unless the value contains one; then a Go double-quoted string.
    static func quote(_ value: String) -> String {
        guard value.contains("`") else { return "`\(value)`" }
        var escaped = ""
        for character in value {
            if character == "\"" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "\"\(escaped)\""
    }
}

/// Host(`...`) comparison (Traefik's muxer.DomainMatchHostExpression plus the trailing-dot tolerance).
enum HostExpression {
    /// `expression` is lower-case; `*.example.com` stands for exactly one leftmost label.
    static func matches(host: String, expression: String) -> Bool {
        guard !host.isEmpty else { return false }
        if matchesExactly(host, expression) { return true }
        // Checked on bytes: String's hasSuffix/hasPrefix compare Characters (issue 18).
        let dot = UInt8(ascii: ".")
        if expression.utf8.last == dot, matchesExactly(host, String(expression.dropLast())) { return true }
        if host.utf8.last == dot, matchesExactly(String(host.dropLast()), expression) { return true }
        return false
    }

    private static func matchesExactly(_ domain: String, _ expression: String) -> Bool {
        guard expression.utf8.first == UInt8(ascii: "*") else { return HTTPASCII.equalsIgnoringCase(domain.utf8, expression.utf8) }
        // Replace the domain's first label with "*" and compare ("a.b.c" -> "*.b.c").
        let utf8 = domain.utf8
        let rest = utf8.firstIndex(of: UInt8(ascii: ".")).map { domain[$0...] } ?? ""
        return HTTPASCII.equalsIgnoringCase(("*" + rest).utf8, expression.utf8)
    }
}
