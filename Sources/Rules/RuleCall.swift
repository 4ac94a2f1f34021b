// One matcher call as written, before any syntax gives it meaning: `Host(`a`, "b")`. Keeps byte offsets so
// the matcher builders can point errors at the name or inside an argument.
struct RuleCall {
    struct Argument {
        let value: String
        /// Byte offset in the rule of the argument's first content byte (after the opening quote).
        let offset: Int
    }

    let name: String
    let offset: Int
    let arguments: [Argument]
    let rule: String

    var values: [String] { arguments.map(\.value) }

    /// An error pointing at the matcher name.
    func error(_ message: String) -> RuleParseError {
        RuleParseError(rule: rule, offset: offset, message)
    }

    /// An error pointing `within` bytes into argument `index` (used for regex errors).
    func error(argument index: Int, within: Int = 0, _ message: String) -> RuleParseError {
        guard arguments.indices.contains(index) else { return error(message) }
        return RuleParseError(rule: rule, offset: arguments[index].offset + within, message)
    }
}

/// Recursive descent over Go's expression grammar, restricted to what Traefik rules use:
///
///     rule    = or EOF
///     or      = and { "||" and }        -- || binds loosest
///     and     = unary { "&&" unary }
///     unary   = "!" unary | primary
///     primary = "(" or ")" | NAME "(" [ STRING { "," STRING } [ "," ] ] ")"
struct RuleCallParser {
    private var lexer: RuleLexer
    private var current: RuleToken
    /// Parentheses and `!` open inside each other; `&&`/`||` written one after another. Both make the tree
    /// (and the recursion that parses, matches and frees it) deeper: a rule from a hostile container's label
    /// nesting thousands of levels overflowed the stack (found by the `rule` fuzz target). Traefik (Go's
    /// parser) takes up to 100,000 levels; no real rule comes near these bounds, so deeper is refused.
    private var nesting = 0
    private var operators = 0
    static let maxNesting = 100
    static let maxOperators = 1_000

    /// Parses the whole rule into a tree of calls; names and argument counts are not checked here.
    static func parse(_ rule: String) throws(RuleParseError) -> RuleTree<RuleCall> {
        var parser = try RuleCallParser(rule)
        let tree = try parser.parseOr()
        guard parser.current.kind == .end else {
            let hint = parser.startsOperand ? " (missing && or ||?)" : ""
            throw parser.lexer.error(parser.current.offset, "expected 'EOF', found \(parser.current.found)\(hint)")
        }
        return tree
    }

    private init(_ rule: String) throws(RuleParseError) {
        lexer = RuleLexer(rule)
        current = try lexer.next()
    }

    private mutating func advance() throws(RuleParseError) {
        current = try lexer.next()
    }

    private var startsOperand: Bool {
        switch current.kind {
        case .identifier, .leftParen, .not: return true
        default: return false
        }
    }

    private mutating func parseOr() throws(RuleParseError) -> RuleTree<RuleCall> {
        var left = try parseAnd()
        while current.kind == .or {
            try countOperator()
            try advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(RuleParseError) -> RuleTree<RuleCall> {
        var left = try parseUnary()
        while current.kind == .and {
            try countOperator()
            try advance()
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(RuleParseError) -> RuleTree<RuleCall> {
        if current.kind == .not {
            try enter()
            defer { nesting -= 1 }
            try advance()
            return .not(try parseUnary())
        }
        return try parsePrimary()
    }

    private mutating func enter() throws(RuleParseError) {
        nesting += 1
        if nesting > Self.maxNesting {
            throw lexer.error(current.offset, "rule nests deeper than \(Self.maxNesting) levels of parentheses and '!'")
        }
    }

    private mutating func countOperator() throws(RuleParseError) {
        operators += 1
        if operators > Self.maxOperators {
            throw lexer.error(current.offset, "rule has more than \(Self.maxOperators) '&&' and '||' operators")
        }
    }

    private mutating func parsePrimary() throws(RuleParseError) -> RuleTree<RuleCall> {
        switch current.kind {
        case .leftParen:
            try enter()
            defer { nesting -= 1 }
            try advance()
            let inner = try parseOr()
            try expect(.rightParen, "')'")
            return inner
        case .identifier(let name):
            let offset = current.offset
            guard let first = name.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
                throw lexer.error(offset, "expected operand, found \(name)")
            }
            try advance()
            try expect(.leftParen, "'(' after \(name)")
            let arguments = try parseArguments(of: name)
            return .matcher(RuleCall(name: name, offset: offset, arguments: arguments, rule: lexer.rule))
        default:
            throw lexer.error(current.offset, "expected operand, found \(current.found)")
        }
    }

    /// Arguments after the opening parenthesis, through the closing one.
    private mutating func parseArguments(of name: String) throws(RuleParseError) -> [RuleCall.Argument] {
        var arguments: [RuleCall.Argument] = []
        while current.kind != .rightParen {
            guard case .string(let value) = current.kind else {
                throw lexer.error(current.offset,
                                  "expected a value quoted with backticks or double quotes in \(name)(...), "
                                      + "found \(current.found)")
            }
            arguments.append(RuleCall.Argument(value: value, offset: current.contentOffset))
            try advance()
            if current.kind == .comma {
                try advance()
            } else if current.kind != .rightParen {
                throw lexer.error(current.offset, "expected ')', found \(current.found)")
            }
        }
        try advance()
        return arguments
    }

    private mutating func expect(_ kind: RuleToken.Kind, _ what: String) throws(RuleParseError) {
        guard current.kind == kind else {
            throw lexer.error(current.offset, "expected \(what), found \(current.found)")
        }
        try advance()
    }
}
