// Finding the peers in a Swarm listing (the Engine API's JSON shapes, as test_swarm_nodes.py's real
// swarm answers them) and making the swarm view from the nodes' answers: totals add up over the nodes
// that answered, a node that did not is a row marked down with its reason.
import Cluster
import JSON
import XCTest

final class ClusterPeersAndStatsTests: XCTestCase {
    private func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    func testPeersAreTheRunningTasksOfTheServiceOnTheNetwork() throws {
        let networks = try json("""
            [{"Name":"ingress","Id":"n0","Scope":"swarm"},{"Name":"community","Id":"n1","Scope":"swarm"},{"Name":"docker-api","Id":"n2","Scope":"swarm"}]
            """)
        let services = try json("""
            [{"ID":"s1","Spec":{"Name":"edge_stoep"}},{"ID":"s2","Spec":{"Name":"edge_web"}}]
            """)
        func task(_ id: String, service: String, node: String, state: String, _ attachments: String) -> String {
            "{\"ID\":\"\(id)\",\"ServiceID\":\"\(service)\",\"NodeID\":\"\(node)\",\"Status\":{\"State\":\"\(state)\"},\"NetworksAttachments\":[\(attachments)]}"
        }
        let onBoth = "{\"Network\":{\"ID\":\"n2\"},\"Addresses\":[\"10.0.9.3/24\"]},{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[\"10.0.1.3/24\"]}"
        let tasks = try json("[" + [
            task("t3", service: "s1", node: "nodeC", state: "running", onBoth),
            task("t1", service: "s1", node: "nodeA", state: "running", "{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[\"10.0.1.7/24\"]}"),
            task("t2", service: "s1", node: "nodeB", state: "preparing", "{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[\"10.0.1.8/24\"]}"),
            task("t4", service: "s1", node: "nodeD", state: "running", "{\"Network\":{\"ID\":\"n0\"},\"Addresses\":[\"10.255.0.4/16\"]}"),
            task("t5", service: "s2", node: "nodeA", state: "running", "{\"Network\":{\"ID\":\"n1\"},\"Addresses\":[\"10.0.1.9/24\"]}"),
        ].joined(separator: ",") + "]")
        let peers = ClusterPeers.find(networks: networks, services: services, tasks: tasks, service: "edge_stoep", network: "community")
        XCTAssertEqual(peers, [ClusterPeer(nodeID: "nodeA", taskID: "t1", address: "10.0.1.7"),
                               ClusterPeer(nodeID: "nodeC", taskID: "t3", address: "10.0.1.3")])
        XCTAssertEqual(ClusterPeers.find(networks: networks, services: services, tasks: tasks, service: "nope", network: "community"), [])
        XCTAssertEqual(ClusterPeers.find(networks: .null, services: .null, tasks: .null, service: "edge_stoep", network: "community"), [])
    }

    private func answer(_ node: String, _ result: Result<[UInt8], ClusterFetchError>, isSelf: Bool = false) -> ClusterAnswer {
        ClusterAnswer(peer: ClusterPeer(nodeID: node, taskID: "t-" + node, address: "10.0.1." + String(node.count)), isSelf: isSelf,
                      result: result, elapsed: 3_000_000)
    }

    func testTheViewAddsUpTheNodesThatAnswered() throws {
        let a = ClusterStats.summary(nodeName: "pi-a", version: "1", uptimeSeconds: 10,
                                     figures: ["http_requests": 5, "dns_queries": 7, "certificates": 2, "rss_bytes": 1000])
        let b = ClusterStats.summary(nodeName: "pi-b", version: "1", uptimeSeconds: 20,
                                     figures: ["http_requests": 11, "dns_queries": 1, "certificates": 2, "rss_bytes": 3000],
                                     extra: [("http_routers", .int(4))])
        var w = JSONWriter()
        ClusterStats.view([answer("a", .success(a), isSelf: true), answer("bb", .success(b)),
                           answer("ccc", .failure(ClusterFetchError("no complete answer within 2 s"))),
                           answer("dddd", .success(Array("[1]".utf8)))], listed: true, into: &w)
        let view = try JSONParser.parse(w.bytes)
        XCTAssertEqual(view["nodes_up"]?.int64Value, 2)
        XCTAssertEqual(view["nodes_down"]?.int64Value, 2)
        XCTAssertEqual(view["listed"]?.boolValue, true)
        XCTAssertEqual(view["totals"]?["http_requests"]?.int64Value, 16)
        XCTAssertEqual(view["totals"]?["dns_queries"]?.int64Value, 8)
        XCTAssertEqual(view["totals"]?["certificates"]?.int64Value, 4)
        XCTAssertEqual(view["totals"]?["rss_bytes"]?.int64Value, 4000)
        XCTAssertEqual(view["totals"]?["forward_accepted"]?.int64Value, 0)
        let rows = try XCTUnwrap(view["nodes"]?.arrayValue)
        XCTAssertEqual(rows.map { $0["state"]?.stringValue }, ["up", "up", "down", "down"])
        XCTAssertEqual(rows[0]["hostname"]?.stringValue, "pi-a")
        XCTAssertEqual(rows[0]["self"]?.boolValue, true)
        XCTAssertEqual(rows[0]["node_id"]?.stringValue, "a")
        XCTAssertEqual(rows[0]["answered_ms"]?.doubleValue, 3)
        XCTAssertEqual(rows[1]["http_routers"]?.int64Value, 4)
        XCTAssertEqual(rows[1]["uptime_s"]?.doubleValue, 20)
        XCTAssertEqual(rows[2]["reason"]?.stringValue, "no complete answer within 2 s")
        XCTAssertEqual(rows[2]["address"]?.stringValue, "10.0.1.3")
        XCTAssertEqual(rows[3]["reason"]?.stringValue, "its answer is not a JSON object")
    }

    func testNoPeersIsAnEmptyView() throws {
        var w = JSONWriter()
        ClusterStats.view([], listed: false, into: &w)
        let view = try JSONParser.parse(w.bytes)
        XCTAssertEqual(view["listed"]?.boolValue, false)
        XCTAssertEqual(view["nodes"]?.arrayValue?.count, 0)
        XCTAssertEqual(view["totals"]?["http_requests"]?.int64Value, 0)
    }
}
