// Which matcher vocabulary a rule is written in. Traefik v3 parses `v3` by default; `core.defaultRuleSyntax`
// or a router's (deprecated) `ruleSyntax` selects `v2` (variadic matchers, `{name:re}` templates).
public enum RuleSyntax: String, Sendable, CaseIterable {
    case v2
    case v3

    /// Accepts Traefik's spellings "v2"/"v3" in any case; nil for anything else.
    public init?(configValue: String) {
        self.init(rawValue: configValue.lowercased())
    }
}
