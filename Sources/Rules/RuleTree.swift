// The boolean shape of a rule — matchers joined by &&, || and ! — shared by HTTP and TCP rules. The parser
// builds a tree of calls; each syntax then maps the calls to its own matchers.
public indirect enum RuleTree<Leaf> {
    case matcher(Leaf)
    case and(RuleTree, RuleTree)
    case or(RuleTree, RuleTree)
    case not(RuleTree)

    /// Evaluates with short-circuit, left to right (as Traefik's matchersTree does).
    public func evaluate(_ leafMatches: (Leaf) -> Bool) -> Bool {
        switch self {
        case .matcher(let leaf): return leafMatches(leaf)
        case .and(let left, let right): return left.evaluate(leafMatches) && right.evaluate(leafMatches)
        case .or(let left, let right): return left.evaluate(leafMatches) || right.evaluate(leafMatches)
        case .not(let inner): return !inner.evaluate(leafMatches)
        }
    }

    /// Rebuilds the tree with each leaf transformed; the first failure stops the walk.
    func map<T>(_ transform: (Leaf) throws(RuleParseError) -> T) throws(RuleParseError) -> RuleTree<T> {
        switch self {
        case .matcher(let leaf): return .matcher(try transform(leaf))
        case .and(let left, let right): return .and(try left.map(transform), try right.map(transform))
        case .or(let left, let right): return .or(try left.map(transform), try right.map(transform))
        case .not(let inner): return .not(try inner.map(transform))
        }
    }

    /// Every leaf, left to right (e.g. to collect Host names for certificates).
    public var leaves: [Leaf] {
        switch self {
        case .matcher(let leaf): return [leaf]
        case .and(let left, let right), .or(let left, let right): return left.leaves + right.leaves
        case .not(let inner): return inner.leaves
        }
    }
}

extension RuleTree: CustomStringConvertible where Leaf: CustomStringConvertible {
    /// Fully parenthesised, so tests and logs show how precedence was resolved: `(A && B) || !C`.
    public var description: String {
        switch self {
        case .matcher(let leaf): return leaf.description
        case .and(let left, let right): return "\(left.operand) && \(right.operand)"
        case .or(let left, let right): return "\(left.operand) || \(right.operand)"
        case .not(let inner): return "!\(inner.operand)"
        }
    }

    private var operand: String {
        switch self {
        case .matcher, .not: return description
        case .and, .or: return "(\(description))"
        }
    }
}

/// HTTP rules: `RuleParser.parse` builds them, `matches(_:)` routes a request.
public typealias RuleExpression = RuleTree<RuleMatcher>
/// TCP rules: `RuleParser.parseTCP` builds them.
public typealias TCPRuleExpression = RuleTree<TCPRuleMatcher>
