// Which stoep of a swarm orders ACME certificates: the one on the Swarm leader (docs/cluster.md,
// "Certificates across nodes"). Raft elects at most one leader per term among the managers and every
// manager answers GET /nodes from the same replicated store, so "the node whose ManagerStatus.Leader is
// true" is a decision every stoep reads alike without a lock of its own. A stoep knows its own node by
// the id the stack passes in ({{.Node.ID}}); its daemon's GET /info would say it too, but a worker's
// socket proxy does not forward /info.
//
// Anything short of a clear answer is "do not order": the API unreachable (a worker whose proxy lacks
// NODES=1, the local manager down), this node missing from the list, no leader (quorum lost), two
// leaders flagged. Certificates already held keep serving and peers keep sharing them; only new names
// wait for a leader to be seen.
import HTTPClient
import JSON
import Reactor

public enum SwarmLeadership: Equatable, Sendable, CustomStringConvertible {
    /// This node is the leader: its stoep orders.
    case leader
    /// Another node leads (its id).
    case follower(leader: String)
    /// No clear answer; the reason, for the log and `show info`.
    case unknown(String)

    public var isLeader: Bool { self == .leader }

    public var description: String {
        switch self {
        case .leader: return "leader"
        case .follower(let id): return "follower (leader \(id))"
        case .unknown(let why): return "unknown: \(why)"
        }
    }

    /// The verdict for node `ownID` from a GET /nodes answer (Engine API: an array of nodes, each with
    /// `ID` and, on managers, `ManagerStatus.Leader`).
    public static func decide(nodes: JSONValue, ownID: String) -> SwarmLeadership {
        guard let list = nodes.arrayValue else { return .unknown("GET /nodes did not answer a list") }
        guard list.contains(where: { $0["ID"]?.stringValue == ownID }) else {
            return .unknown("node \(ownID) is not in the swarm's node list")
        }
        let leaders = list.filter { $0["ManagerStatus"]?["Leader"]?.boolValue == true }.compactMap { $0["ID"]?.stringValue }
        switch leaders.count {
        case 0: return .unknown("the swarm has no leader (quorum lost?)")
        case 1: return leaders[0] == ownID ? .leader : .follower(leader: leaders[0])
        default: return .unknown("\(leaders.count) nodes are flagged leader")
        }
    }
}

/// Polls GET /nodes on the Swarm provider's endpoint every `refresh` (EnginePoller) and reports the
/// verdict when it changes (and once at the first answer). A failed request is a verdict too (`unknown`),
/// not a failed round: a stoep that cannot see the swarm must not order, and it asks again in `refresh`,
/// without a back-off. GET only.
public final class SwarmLeaderWatch {
    static let nodesPath = "/nodes"

    public let ownID: String
    private let poller: EnginePoller
    private let onChange: (SwarmLeadership) -> Void
    public private(set) var verdict: SwarmLeadership?

    public init(ownID: String, endpoint: DockerWatcher.Endpoint, refresh: UInt64, loop: EventLoop,
                onChange: @escaping (SwarmLeadership) -> Void) {
        self.ownID = ownID
        self.poller = EnginePoller(endpoint: endpoint, refresh: refresh, loop: loop)
        self.onChange = onChange
    }

    public func start() { poller.start { [unowned self] in poll() } }

    public func stop() { poller.stop() }

    private func poll() {
        poller.get(Self.nodesPath) { [unowned self] result in
            let found: SwarmLeadership
            switch result {
            case .success(let nodes): found = SwarmLeadership.decide(nodes: nodes, ownID: ownID)
            case .failure(.notJSON): found = .unknown("GET /nodes: not JSON")
            case .failure(.status(let status)): found = .unknown("GET /nodes: status \(status) (a worker's socket proxy needs NODES=1)")
            case .failure(.unreachable(let reason)): found = .unknown("GET /nodes: \(reason)")
            }
            if found != verdict {
                verdict = found
                onChange(found)
            }
            poller.roundDone()
        }
    }
}
