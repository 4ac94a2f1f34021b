// Turns a parsed call into a v3 HTTP matcher, validating it the way Traefik does when a router is added
// (pkg/rules CheckRule, then pkg/muxer/http/matcher.go). Shared checks live here for v2 and TCP too.
enum RuleMatcherBuilder {
    /// v3 HTTP matchers and how many arguments each takes.
    static let arities: [(name: String, counts: [Int])] = [
        ("ClientIP", [1]), ("Method", [1]), ("Host", [1]), ("HostRegexp", [1]), ("Path", [1]),
        ("PathRegexp", [1]), ("PathPrefix", [1]), ("Header", [2]), ("HeaderRegexp", [2]),
        ("Query", [1, 2]), ("QueryRegexp", [1, 2]),
    ]

    static func build(_ call: RuleCall) throws(RuleParseError) -> RuleMatcher {
        let name = try resolve(call, among: arities.map(\.name))
        try checkArguments(call, name: name)
        let counts = arities.first { $0.name == name }?.counts ?? [1]
        guard counts.contains(call.arguments.count) else {
            throw call.error("error while adding rule \(name): unexpected number of parameters; "
                + "got \(call.arguments.count), expected one of \(counts)")
        }
        let v = call.values
        let test: RuleMatcher.Test
        switch name {
        case "ClientIP": test = .clientIP(try ranges(call, name: name))
        case "Method": test = .methods([v[0].uppercased()])
        case "Host":
            if v[0] == "*" {
                test = .anyHost
            } else {
                try requireASCII(call, name: name)
                test = .host(v[0].lowercased())
            }
        case "HostRegexp":
            try requireASCII(call, name: name)
            test = .hostRegexps([try regex(call, argument: 0, name: name)])
        case "Path":
            try requireLeadingSlash(call)
            test = .path(v[0])
        case "PathPrefix":
            try requireLeadingSlash(call)
            test = .pathPrefix(v[0])
        case "PathRegexp": test = .pathRegexp(try regex(call, argument: 0, name: name))
        case "Header": test = .header(name: v[0], value: v[1])
        case "HeaderRegexp": test = .headerRegexp(name: v[0], try regex(call, argument: 1, name: name))
        case "Query": test = .query(key: v[0], value: v.count == 2 ? v[1] : "")
        default:  // QueryRegexp; with one argument Traefik treats it as Query(key)
            test = v.count == 1 ? .query(key: v[0], value: "")
                : .queryRegexp(key: v[0], try regex(call, argument: 1, name: name))
        }
        return RuleMatcher(name: name, arguments: v, syntax: .v3, test: test)
    }

    /// The canonical name `call.name` stands for. Traefik registers each matcher as written, lower case,
    /// upper case and title case ("Host", "host", "HOST"; "HostRegexp" also as "Hostregexp").
    static func resolve(_ call: RuleCall, among names: [String]) throws(RuleParseError) -> String {
        for name in names {
            let lower = name.lowercased()
            let title = lower.prefix(1).uppercased() + lower.dropFirst()
            if call.name == name || call.name == lower || call.name == name.uppercased() || call.name == title {
                return name
            }
        }
        throw call.error("unsupported function: \(call.name)")
    }

    /// Traefik's CheckRule: at least one argument, none empty.
    static func checkArguments(_ call: RuleCall, name: String) throws(RuleParseError) {
        guard !call.arguments.isEmpty else {
            throw call.error("error while checking rule \(name): no args for matcher \(name)")
        }
        if let empty = call.arguments.firstIndex(where: { $0.value.isEmpty }) {
            throw call.error(argument: empty, "error while checking rule \(name): empty args for matcher \(name), "
                + "[" + call.values.joined(separator: " ") + "]")
        }
    }

    static func requireASCII(_ call: RuleCall, name: String) throws(RuleParseError) {
        for (index, argument) in call.arguments.enumerated() where argument.value.utf8.contains(where: { $0 >= 0x80 }) {
            throw call.error(argument: index, "invalid value \"\(argument.value)\" for \(name) matcher, "
                + "non-ASCII characters are not allowed (use punycode)")
        }
    }

    static func requireLeadingSlash(_ call: RuleCall) throws(RuleParseError) {
        for (index, argument) in call.arguments.enumerated() where !argument.value.hasPrefix("/") {
            throw call.error(argument: index, "path \"\(argument.value)\" does not start with a '/'")
        }
    }

    /// Compiles argument `index` as a plain (Go RE2 flavoured) regexp; errors point inside the argument.
    static func regex(_ call: RuleCall, argument index: Int, name: String,
                      caseInsensitive: Bool = false) throws(RuleParseError) -> CompiledRegex {
        do {
            return try CompiledRegex(call.values[index], caseInsensitive: caseInsensitive)
        } catch {
            throw call.error(argument: index, within: error.offset,
                             "compiling \(name) matcher: error parsing regexp: \(error.message)")
        }
    }

    /// Compiles argument `index` as a v2 `{name:re}` template.
    static func template(_ call: RuleCall, argument index: Int, kind: RouteTemplate.Kind,
                         text: String? = nil, name: String) throws(RuleParseError) -> CompiledRegex {
        do {
            return try RouteTemplate.compile(text ?? call.values[index], kind: kind)
        } catch {
            throw call.error(argument: index, within: error.offset, "error while adding rule \(name): \(error.message)")
        }
    }

    /// ClientIP arguments: addresses or CIDR networks (Traefik's ip.NewChecker).
    static func ranges(_ call: RuleCall, name: String) throws(RuleParseError) -> [ClientIPRange] {
        var ranges: [ClientIPRange] = []
        for (index, value) in call.values.enumerated() {
            guard let range = ClientIPRange(value) else {
                throw call.error(argument: index, "initializing IP checker for \(name) matcher: "
                    + "invalid CIDR address: \(value)")
            }
            ranges.append(range)
        }
        return ranges
    }
}
