// TCP router matchers (Traefik's pkg/muxer/tcp/matcher.go and matcher_v2.go): they see only what the
// connection offers before any HTTP — the TLS SNI name, the ALPN protocols and the peer address.
// A non-TLS TCP router must use HostSNI(`*`), which matches every connection, with or without SNI.

/// What TCP matchers read from a connection.
public struct TCPRuleRequest {
    /// SNI server name, lower-cased and trimmed (Traefik's types.CanonicalDomain); "" without TLS or SNI.
    public var serverName: String
    public var alpnProtocols: [String]
    public var clientIP: ClientIP?

    public init(serverName: String = "", alpnProtocols: [String] = [], clientIP: ClientIP? = nil) {
        var name = Substring(serverName)
        while let first = name.first, first == " " || first == "\t" { name = name.dropFirst() }
        while let last = name.last, last == " " || last == "\t" { name = name.dropLast() }
        self.serverName = name.lowercased()
        self.alpnProtocols = alpnProtocols
        self.clientIP = clientIP
    }
}

public struct TCPRuleMatcher: CustomStringConvertible {
    public let name: String
    public let arguments: [String]
    public let syntax: RuleSyntax
    let test: Test

    enum Test {
        case anyServerName                  // HostSNI(`*`)
        case serverName(String)             // v3: one name, may be `*.x` (one label)
        case serverNames([String])          // v2: lower-cased list; "*" anywhere matches any SNI
        case serverNameRegexps([CompiledRegex])
        case alpn([String])                 // any offered protocol in the list
        case clientIP([ClientIPRange])
    }

    public func matches(_ connection: TCPRuleRequest) -> Bool {
        switch test {
        case .anyServerName:
            return true
        case .serverName(let expression):
            return HostExpression.matches(host: connection.serverName, expression: expression)
        case .serverNames(let names):
            let sni = connection.serverName
            guard !sni.isEmpty else { return false }
            return names.contains { $0 == "*" || $0 == sni || ($0.hasSuffix(".") && $0.dropLast() == sni) }
        case .serverNameRegexps(let regexes):
            return regexes.contains { $0.matches(connection.serverName) }
        case .alpn(let protocols):
            return connection.alpnProtocols.contains { protocols.contains($0) }
        case .clientIP(let ranges):
            guard let ip = connection.clientIP else { return false }
            return ranges.contains { $0.contains(ip) }
        }
    }

    public var description: String {
        "\(name)(" + arguments.map(RuleMatcher.quote).joined(separator: ", ") + ")"
    }
}

enum TCPRuleMatcherBuilder {
    static let names = ["ALPN", "ClientIP", "HostSNI", "HostSNIRegexp"]
    /// ACME's TLS-ALPN-01 challenge protocol belongs to Traefik's own resolver; routers may not claim it.
    private static let acmeTLSProtocol = "acme-tls/1"

    static func build(_ call: RuleCall, syntax: RuleSyntax) throws(RuleParseError) -> TCPRuleMatcher {
        let name = try RuleMatcherBuilder.resolve(call, among: names)
        try RuleMatcherBuilder.checkArguments(call, name: name)
        let v = call.values
        if syntax == .v3 && v.count != 1 {
            throw call.error("error while adding rule \(name): unexpected number of parameters; "
                + "got \(v.count), expected 1")
        }
        let test: TCPRuleMatcher.Test
        switch name {
        case "ALPN":
            if let index = v.firstIndex(of: acmeTLSProtocol) {
                throw call.error(argument: index, "invalid protocol value for ALPN matcher, "
                    + "\"\(acmeTLSProtocol)\" is not allowed")
            }
            test = .alpn(v)
        case "ClientIP":
            test = .clientIP(try RuleMatcherBuilder.ranges(call, name: name))
        case "HostSNI":
            test = try serverNames(call, syntax: syntax)
        default:  // HostSNIRegexp: v3 a plain regexp, v2 case-insensitive `{name:re}` templates
            try RuleMatcherBuilder.requireASCII(call, name: name)
            var regexes: [CompiledRegex] = []
            for index in v.indices {
                regexes.append(syntax == .v3 ? try RuleMatcherBuilder.regex(call, argument: index, name: name)
                    : try RuleMatcherBuilder.template(call, argument: index, kind: .host, name: name))
            }
            test = .serverNameRegexps(regexes)
        }
        return TCPRuleMatcher(name: name, arguments: v, syntax: syntax, test: test)
    }

    /// HostSNI values must look like host names or IPs: `^(\*\.)?[[:word:].\-:]+$` (v3; v2 without `*.`).
    private static func serverNames(_ call: RuleCall,
                                    syntax: RuleSyntax) throws(RuleParseError) -> TCPRuleMatcher.Test {
        let v = call.values
        if v[0] == "*" { return .anyServerName }  // v2 checks only the first argument for this shortcut
        for (index, value) in v.enumerated() where !(syntax == .v2 && value == "*") {
            var body = Substring(value)
            if syntax == .v3 && body.hasPrefix("*.") { body = body.dropFirst(2) }
            let valid = !body.isEmpty && body.utf8.allSatisfy { c in
                (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
                    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || ".-:_".utf8.contains(c)
            }
            guard valid else {
                throw call.error(argument: index,
                                 "invalid value for HostSNI matcher, \"\(value)\" is not a valid hostname")
            }
        }
        if syntax == .v3 {
            let trimmed = v[0].hasSuffix(".") ? String(v[0].dropLast()) : v[0]
            return .serverName(trimmed.lowercased())
        }
        return .serverNames(v.map { $0.lowercased() })
    }
}
