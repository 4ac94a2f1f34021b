// The host names a parsed HTTP rule routes by exact name, for auto-DNS: what can be published as a DNS
// name because a request for it can match. Read from the rule's tree, so it follows the parser's reading
// of precedence, quoting and syntax (v3 Host; v2 variadic Host and HostHeader).

extension RuleTree where Leaf == RuleMatcher {
    /// The arguments of Host matchers reached through an even number of negations (`Host(a)`, `!!Host(a)`),
    /// lowercased and without a trailing dot, in rule order, each once. Left out: names under a negation
    /// (`!Host(a)`, `!(Host(a) && Path(/x))`: the rule routes every host but those), wildcards (`*`,
    /// `*.lan`), HostRegexp and HostSNI, none of which names one host.
    public var exactHostNames: [String] {
        var names: [String] = []
        collectHostNames(negated: false, into: &names)
        return names
    }

    private func collectHostNames(negated: Bool, into names: inout [String]) {
        switch self {
        case .matcher(let matcher):
            guard !negated else { return }
            let hosts: [String]
            switch matcher.test {
            case .host(let host): hosts = [host]
            case .hosts(let list): hosts = list
            default: return
            }
            for var host in hosts where !host.contains("*") && !host.contains("{") {
                if host.hasSuffix(".") { host.removeLast() }
                if !host.isEmpty && !names.contains(host) { names.append(host) }
            }
        case .and(let left, let right), .or(let left, let right):
            left.collectHostNames(negated: negated, into: &names)
            right.collectHostNames(negated: negated, into: &names)
        case .not(let inner):
            inner.collectHostNames(negated: !negated, into: &names)
        }
    }
}

extension RuleTree where Leaf == TCPRuleMatcher {
    /// The HostSNI names a TCP rule routes (what Traefik's ACME provider orders for a TCP router with a
    /// certResolver and no domains): each HostSNI argument but `*`, lower-cased, in rule order, each once,
    /// none under a negation. `*.example.org` stays (only DNS-01 can order it).
    public var serverNames: [String] {
        var names: [String] = []
        collectServerNames(negated: false, into: &names)
        return names
    }

    private func collectServerNames(negated: Bool, into names: inout [String]) {
        switch self {
        case .matcher(let matcher):
            guard !negated else { return }
            let found: [String]
            switch matcher.test {
            case .serverName(let name): found = [name]
            case .serverNames(let list): found = list
            default: return
            }
            for var name in found.map({ $0.lowercased() }) where name != "*" && !name.isEmpty {
                if name.hasSuffix(".") { name.removeLast() }
                if !names.contains(name) { names.append(name) }
            }
        case .and(let left, let right), .or(let left, let right):
            left.collectServerNames(negated: negated, into: &names)
            right.collectServerNames(negated: negated, into: &names)
        case .not(let inner):
            inner.collectServerNames(negated: !negated, into: &names)
        }
    }
}
