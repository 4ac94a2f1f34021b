// Traefik's rule language (router rules written in labels by whoever deploys a container): the first line is
// parsed as an HTTP rule in both syntaxes, a TCP rule and a Docker constraints expression; what parses is
// matched against a request built from the second line ("METHOD TARGET HOST") and the third (header lines
// "Name: value" separated by ";").
import HTTP
import Rules

enum RuleFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        let rule = lines.first.map(String.init) ?? ""
        let words = lines.count > 1 ? lines[1].split(separator: " ", maxSplits: 2).map(String.init) : []
        let headers: [(name: String, value: String)] = lines.count > 2 ? lines[2].split(separator: ";").map { field in
            let parts = field.split(separator: ":", maxSplits: 1)
            return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : "")
        } : []
        let request = RuleRequestValues(method: words.first ?? "GET", target: words.count > 1 ? words[1] : "/",
                                        hostHeader: words.count > 2 ? words[2] : "fuzz.lan", headers: headers,
                                        clientIP: ClientIP("10.0.0.7"))
            ?? RuleRequestValues(hostHeader: "fuzz.lan", clientIP: ClientIP("fd00::7"))
        for syntax in RuleSyntax.allCases {
            if let expression = try? RuleParser.parse(rule, syntax: syntax) {
                _ = expression.evaluate { $0.matches(request) }
                _ = expression.description
            }
            if let tcp = try? RuleParser.parseTCP(rule, syntax: syntax) {
                _ = tcp.evaluate { $0.matches(TCPRuleRequest(serverName: request.host, alpnProtocols: ["h2"],
                                                             clientIP: request.clientIP)) }
            }
        }
        if let constraint = try? LabelConstraint.parse(rule) {
            _ = constraint.evaluate { $0.matches(["traefik.enable": "true", request.method: request.path]) }
        }
    }
}
