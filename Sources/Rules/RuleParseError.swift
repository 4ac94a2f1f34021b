// The one error type of the rule language: where in the rule (line and 1-based byte column, as Go's parser
// reports them) and what is wrong, worded after Traefik's own messages so users can search for them.
public struct RuleParseError: Error, Equatable, CustomStringConvertible {
    public let rule: String
    /// 1-based line; rules are normally one line, but YAML and labels can fold them.
    public let line: Int
    /// 1-based byte column within `line`.
    public let column: Int
    public let message: String

    /// `offset` is a 0-based byte offset into `rule`; line and column are derived from it.
    init(rule: String, offset: Int, _ message: String) {
        var line = 1
        var lineStart = 0
        for (index, byte) in rule.utf8.prefix(max(0, offset)).enumerated() where byte == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        self.rule = rule
        self.line = line
        self.column = max(0, offset) - lineStart + 1
        self.message = message
    }

    public var description: String { "error while parsing rule \(rule): \(line):\(column): \(message)" }
}
