// The entry points of the rule language. A rule is parsed once, when a router is configured: tokens and
// grammar in RuleCallParser, matcher names, arguments and regexps in the builders. Every failure is a
// RuleParseError with the column to show the user.
public enum RuleParser {
    /// Parses an HTTP router rule in `syntax` (Traefik's default is v3).
    public static func parse(_ rule: String, syntax: RuleSyntax = .v3) throws(RuleParseError) -> RuleExpression {
        let calls = try RuleCallParser.parse(rule)
        return try calls.map { (call: RuleCall) throws(RuleParseError) in
            syntax == .v3 ? try RuleMatcherBuilder.build(call) : try RuleMatcherBuilderV2.build(call)
        }
    }

    /// Parses with the configured syntax; when that is v3 and fails but the rule is valid v2, returns the v2
    /// reading with `usedV2Fallback` set so the caller can warn ("rule is v2 syntax; set ruleSyntax=v2").
    /// Traefik itself does not fall back: such a router is rejected there. The v3 error is thrown when
    /// neither syntax accepts the rule.
    public static func parseAuto(_ rule: String, default syntax: RuleSyntax) throws(RuleParseError)
        -> (expression: RuleExpression, usedV2Fallback: Bool)
    {
        do {
            return (try parse(rule, syntax: syntax), false)
        } catch {
            guard syntax == .v3, let v2 = try? parse(rule, syntax: .v2) else { throw error }
            return (v2, true)
        }
    }

    /// Parses a TCP router rule: HostSNI, HostSNIRegexp, ClientIP, ALPN (v2: each variadic).
    public static func parseTCP(_ rule: String, syntax: RuleSyntax = .v3) throws(RuleParseError) -> TCPRuleExpression {
        try RuleCallParser.parse(rule).map { (call: RuleCall) throws(RuleParseError) in
            try TCPRuleMatcherBuilder.build(call, syntax: syntax)
        }
    }
}

extension RuleTree where Leaf == RuleMatcher {
    /// True when `request` satisfies the rule. Inlinable, so the proxy's call is specialised for its own
    /// request type (no protocol-witness call per property read); the same holds for what it calls.
    @inlinable
    public func matches<R: RuleRequest>(_ request: R) -> Bool {
        evaluate { $0.matches(request) }
    }
}

extension RuleTree where Leaf == TCPRuleMatcher {
    /// True when the connection satisfies the rule.
    public func matches(_ connection: TCPRuleRequest) -> Bool {
        evaluate { $0.matches(connection) }
    }
}
