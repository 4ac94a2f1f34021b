// v2 HTTP matchers (Traefik's pkg/muxer/http/matcher_v2.go over gorilla/mux). Differences from v3: every
// matcher is variadic (any argument may match; Headers/HeadersRegexp/Query take pairs that must ALL match),
// Host has the alias HostHeader and no `*` wildcard, HostRegexp/Path/PathPrefix/Query values are
// `{name:re}` templates with literal text around them, and header matchers are named Headers*.
enum RuleMatcherBuilderV2 {
    static let names = ["Host", "HostHeader", "HostRegexp", "ClientIP", "Path", "PathPrefix", "Method",
                        "Headers", "HeadersRegexp", "Query"]

    static func build(_ call: RuleCall) throws(RuleParseError) -> RuleMatcher {
        let name = try RuleMatcherBuilder.resolve(call, among: names)
        try RuleMatcherBuilder.checkArguments(call, name: name)
        let v = call.values
        let test: RuleMatcher.Test
        switch name {
        case "Host", "HostHeader":
            try RuleMatcherBuilder.requireASCII(call, name: "\"\(name)\"")
            test = .hosts(v.map { $0.lowercased() })
        case "HostRegexp":
            try RuleMatcherBuilder.requireASCII(call, name: name)
            var regexes: [CompiledRegex] = []
            for index in v.indices {
                regexes.append(try RuleMatcherBuilder.template(call, argument: index, kind: .host, name: name))
            }
            test = .hostRegexps(regexes)
        case "ClientIP": test = .clientIP(try RuleMatcherBuilder.ranges(call, name: "\"ClientIP\""))
        case "Path", "PathPrefix":
            // gorilla needs no leading "/" check here; a path without one simply never matches.
            let kind: RouteTemplate.Kind = name == "Path" ? .path : .pathPrefix
            var patterns: [RuleMatcher.PathPattern] = []
            for (index, value) in v.enumerated() {
                if RouteTemplate.hasPlaceholder(value) || value.contains("}") {
                    patterns.append(.template(try RuleMatcherBuilder.template(call, argument: index, kind: kind,
                                                                              name: name)))
                } else {
                    patterns.append(kind == .path ? .exact(value) : .prefix(value))
                }
            }
            test = .paths(patterns)
        case "Method": test = .methods(v.map { $0.uppercased() })
        case "Headers":
            let pairs = try pairs(call, name: name)
            test = .headers(pairs.map { (name: $0.0, value: $0.1) })
        case "HeadersRegexp":
            var regexes: [(name: String, regex: CompiledRegex)] = []
            for (index, pair) in try pairs(call, name: name).enumerated() {
                regexes.append((pair.0, try RuleMatcherBuilder.regex(call, argument: index * 2 + 1, name: name)))
            }
            test = .headersRegexp(regexes)
        default:  // Query(`k=v`, ...): each "k=v" splits at the first "="; the pieces must pair up.
            var pieces: [String] = []
            for value in v {
                pieces += value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            }
            guard pieces.count % 2 == 0 else {
                throw call.error("error while adding rule \(name): mux: number of parameters must be multiple "
                    + "of 2, got \(pieces)")
            }
            // gorilla pairs the pieces, not the arguments: Query(`a`, `b`) is the template "a=b".
            var templates: [(key: String, regex: CompiledRegex)] = []
            for pair in stride(from: 0, to: pieces.count, by: 2) {
                let template = pieces[pair] + "=" + pieces[pair + 1]
                templates.append((pieces[pair], try RuleMatcherBuilder.template(
                    call, argument: min(pair / 2, v.count - 1), kind: .query, text: template, name: name)))
            }
            test = .queryTemplates(templates)
        }
        return RuleMatcher(name: name, arguments: v, syntax: .v2, test: test)
    }

    /// Arguments as (key, value) pairs; gorilla refuses an odd count.
    private static func pairs(_ call: RuleCall, name: String) throws(RuleParseError) -> [(String, String)] {
        let v = call.values
        guard v.count % 2 == 0 else {
            throw call.error("error while adding rule \(name): mux: number of parameters must be multiple of 2, "
                + "got \(v)")
        }
        return stride(from: 0, to: v.count, by: 2).map { (v[$0], v[$0 + 1]) }
    }
}
