// Who the peers are (docs/cluster.md, "Finding the peers"): the running tasks of stoep's own Swarm
// service, each at its address on the cluster network, read from the same three answers the Swarm
// provider polls (GET /networks, /services, /tasks; SwarmWatcher.onListing) — no request of our own, no
// second membership list to keep true. A task is a node's stoep: the stack runs stoep `mode: global`, one
// task per node; its NodeID names the row. Swarm's DNS (`tasks.<service>`) would give the addresses too,
// but not the node ids, and would need a resolver query on every refresh.
import JSON

/// One peer: a running task of stoep's service.
public struct ClusterPeer: Equatable, Sendable, CustomStringConvertible {
    /// The Swarm node it runs on (the row's name until the peer tells its host name).
    public var nodeID: String
    public var taskID: String
    /// Its address on the cluster network (no prefix length).
    public var address: String

    public init(nodeID: String, taskID: String, address: String) {
        self.nodeID = nodeID
        self.taskID = taskID
        self.address = address
    }

    public var description: String { "\(nodeID.prefix(12))@\(address)" }
}

public enum ClusterPeers {
    /// The running tasks of `service` with an address on `network`, ordered by node id (a stable row
    /// order). A task without an address there is left out (it is not on the channel's network yet).
    public static func find(networks: JSONValue, services: JSONValue, tasks: JSONValue, service: String, network: String) -> [ClusterPeer] {
        var networkIDs = Set<String>()
        for n in networks.arrayValue ?? [] where n["Name"]?.stringValue == network {
            if let id = n["Id"]?.stringValue ?? n["ID"]?.stringValue { networkIDs.insert(id) }
        }
        var serviceIDs = Set<String>()
        for s in services.arrayValue ?? [] where s["Spec"]?["Name"]?.stringValue == service {
            if let id = s["ID"]?.stringValue { serviceIDs.insert(id) }
        }
        var peers: [ClusterPeer] = []
        for task in tasks.arrayValue ?? [] {
            guard let sid = task["ServiceID"]?.stringValue, serviceIDs.contains(sid),
                  task["Status"]?["State"]?.stringValue == "running",
                  let taskID = task["ID"]?.stringValue else { continue }
            let nodeID = task["NodeID"]?.stringValue ?? ""
            var address: String?
            for attachment in task["NetworksAttachments"]?.arrayValue ?? [] {
                guard let nid = attachment["Network"]?["ID"]?.stringValue, networkIDs.contains(nid) else { continue }
                for a in attachment["Addresses"]?.arrayValue ?? [] {
                    if let text = a.stringValue, let plain = text.split(separator: "/").first, !plain.isEmpty { address = String(plain) }
                }
            }
            if let address { peers.append(ClusterPeer(nodeID: nodeID, taskID: taskID, address: address)) }
        }
        return peers.sorted { ($0.nodeID, $0.taskID) < ($1.nodeID, $1.taskID) }
    }
}
