// Router ordering. Traefik tries routers from highest priority down and takes the first whose rule matches;
// a router without a priority (or priority 0) gets the byte length of its rule, so longer, more specific
// rules go first: HostRegexp(`[a-z]+\.traefik\.com`) (34) before Host(`foobar.traefik.com`) (26).
public enum RulePriority {
    /// Traefik's GetRulePriority: len(rule) in bytes.
    public static func defaultPriority(rule: String) -> Int {
        rule.utf8.count
    }

    /// The priority a router runs with: its configured one, or the default when 0 (Traefik's "unset").
    public static func effective(configured: Int, rule: String) -> Int {
        configured == 0 ? defaultPriority(rule: rule) : configured
    }
}

/// Anything the route table orders: a unique name and an effective priority.
public protocol PrioritizedRoute {
    var name: String { get }
    var priority: Int { get }
}

public enum RouteOrder {
    /// Priority descending. Equal priorities: Traefik leaves the order undefined (unstable sort over a Go
    /// map; v3.7 only breaks ties between different providers); stoep orders them by name, then by input
    /// position, so a configuration always routes the same way.
    public static func sorted<Route: PrioritizedRoute>(_ routes: [Route]) -> [Route] {
        routes.enumerated().sorted { a, b in
            if a.element.priority != b.element.priority { return a.element.priority > b.element.priority }
            if a.element.name != b.element.name { return a.element.name < b.element.name }
            return a.offset < b.offset
        }.map(\.element)
    }
}
