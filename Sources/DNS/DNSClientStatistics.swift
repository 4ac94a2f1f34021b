// Who asks what: per-client counts (queries, and how each was answered: blocked, forwarded, from the
// cache, from local data, refused by the rate limit) and the most-asked and most-blocked names, in fixed
// memory whatever the number of clients and names (TopKSketch, Space-Saving). What Pi-hole's dashboard
// shows as "top clients" / "top domains" / "top blocked", for `stoep stats show dns-clients`.

public final class DNSClientStatistics {
    /// How a query was answered.
    public enum Outcome {
        case local, blocked, cached, forwarded, limited
    }

    public struct ClientCounts: Equatable {
        public var blocked: UInt64 = 0
        public var forwarded: UInt64 = 0
        public var cached: UInt64 = 0
        public var local: UInt64 = 0
        public var limited: UInt64 = 0
    }

    /// Clients tracked: a community network's clients fit; past that the quietest are replaced.
    public static let clientCapacity = 1024
    /// Names tracked for the top lists (a top 20 out of 512 counted is exact for any name asked more than
    /// 1/512 of the time).
    public static let nameCapacity = 512

    public private(set) var clients = TopKSketch<IPAddress, ClientCounts>(capacity: clientCapacity, fresh: ClientCounts())
    public private(set) var names = TopKSketch<DNSName, Void>(capacity: nameCapacity, fresh: ())
    public private(set) var blockedNames = TopKSketch<DNSName, Void>(capacity: nameCapacity, fresh: ())

    public init() {}

    /// Counts one query of `name` from `client` answered as `outcome`.
    public func record(client: IPAddress?, name: DNSName, outcome: Outcome) {
        if let client {
            clients.add(client, update: { counts in
                switch outcome {
                case .local: counts.local &+= 1
                case .blocked: counts.blocked &+= 1
                case .cached: counts.cached &+= 1
                case .forwarded: counts.forwarded &+= 1
                case .limited: counts.limited &+= 1
                }
            })
        }
        if outcome == .limited { return }  // a flood must not fill the top names
        names.add(name, copy: Self.own)
        if outcome == .blocked { blockedNames.add(name, copy: Self.own) }
    }

    /// A name that owns its bytes (a name read from a query shares the listener's reused buffer).
    private static func own(_ name: DNSName) -> DNSName { name.owned }
}
