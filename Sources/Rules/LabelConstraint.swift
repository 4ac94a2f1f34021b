// The Docker provider's `constraints` expression (Traefik v3.7.9 pkg/provider/constraints/constraints_labels.go):
// `Label("k", "v")` and `LabelRegex("k", "re")` joined by &&, ||, ! and parentheses, read with the same
// grammar as router rules (RuleCallParser; Traefik parses both with Go expression syntax via
// vulcand/predicate). A container is kept only when its labels satisfy the expression.
// - Label compares the label's value exactly; a missing label reads as "" (Go's map lookup), so
//   `Label("x", "")` matches a container without label x.
// - LabelRegex is Go's regexp.MatchString: an unanchored search in the value.
// - An empty expression keeps every container.
// Where stoep differs: a LabelRegex pattern that does not compile is refused when the configuration is read;
// Traefik accepts it and then silently drops every container it is asked about.
public struct LabelConstraint: CustomStringConvertible {
    enum Test {
        case equals(String)
        case regex(CompiledRegex)
    }

    public let label: String
    let test: Test
    private let written: String

    /// Parses `expression`; nil for the empty expression (everything kept).
    public static func parse(_ expression: String) throws(RuleParseError) -> RuleTree<LabelConstraint>? {
        guard !expression.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) else { return nil }
        return try RuleCallParser.parse(expression).map { (call: RuleCall) throws(RuleParseError) in try build(call) }
    }

    private static func build(_ call: RuleCall) throws(RuleParseError) -> LabelConstraint {
        // predicate calls the Go function by reflection: a wrong argument count is an error there too.
        guard call.name == "Label" || call.name == "LabelRegex" else {
            throw call.error("unsupported function: \(call.name) (constraints know Label and LabelRegex)")
        }
        guard call.arguments.count == 2 else {
            throw call.error("\(call.name) takes 2 arguments (label name and value), found \(call.arguments.count)")
        }
        let name = call.values[0], value = call.values[1]
        let written = "\(call.name)(" + call.values.map(RuleMatcher.quote).joined(separator: ", ") + ")"
        if call.name == "Label" { return LabelConstraint(label: name, test: .equals(value), written: written) }
        do {
            return LabelConstraint(label: name, test: .regex(try CompiledRegex(value)), written: written)
        } catch {
            throw RuleParseError(rule: call.rule, offset: call.arguments[1].offset + error.offset, error.description)
        }
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[label] ?? ""
        switch test {
        case .equals(let wanted): return value == wanted
        case .regex(let regex): return regex.matches(value)
        }
    }

    public var description: String { written }
}

extension RuleTree where Leaf == LabelConstraint {
    /// True when a container with `labels` is kept.
    public func matches(_ labels: [String: String]) -> Bool {
        evaluate { $0.matches(labels) }
    }
}
