// Which swarm node's stoep orders certificates (SwarmLeadership): the leader by GET /nodes, with
// documents shaped as the Engine API (v1.41) answers; anything unclear is "do not order".
import Discovery
import JSON
import XCTest

final class SwarmLeadershipTests: XCTestCase {
    func nodes(_ entries: [(id: String, manager: Bool, leader: Bool)]) throws -> JSONValue {
        let items = entries.map { e in
            let status = e.manager ? ",\"ManagerStatus\":{\"Leader\":\(e.leader),\"Reachability\":\"reachable\",\"Addr\":\"192.168.77.1:2377\"}" : ""
            return "{\"ID\":\"\(e.id)\",\"Spec\":{\"Role\":\"\(e.manager ? "manager" : "worker")\"},\"Status\":{\"State\":\"ready\"}\(status)}"
        }
        return try JSONParser.parse("[" + items.joined(separator: ",") + "]")
    }

    func testTheLeaderAloneOrders() throws {
        let list = try nodes([("n1", true, false), ("n2", true, true), ("n3", false, false)])
        XCTAssertEqual(SwarmLeadership.decide(nodes: list, ownID: "n2"), .leader)
        XCTAssertEqual(SwarmLeadership.decide(nodes: list, ownID: "n1"), .follower(leader: "n2"))
        XCTAssertEqual(SwarmLeadership.decide(nodes: list, ownID: "n3"), .follower(leader: "n2"))
        XCTAssertTrue(SwarmLeadership.decide(nodes: list, ownID: "n2").isLeader)
        XCTAssertFalse(SwarmLeadership.decide(nodes: list, ownID: "n1").isLeader)
    }

    /// Leadership moved (a demotion, a dead leader): the next answer names the new one.
    func testLeadershipMoves() throws {
        let before = try nodes([("n1", true, true), ("n2", true, false), ("n3", true, false)])
        let after = try nodes([("n1", false, false), ("n2", true, false), ("n3", true, true)])
        XCTAssertEqual(SwarmLeadership.decide(nodes: before, ownID: "n1"), .leader)
        XCTAssertEqual(SwarmLeadership.decide(nodes: after, ownID: "n1"), .follower(leader: "n3"))
        XCTAssertEqual(SwarmLeadership.decide(nodes: after, ownID: "n3"), .leader)
    }

    func testNoClearAnswerOrdersNothing() throws {
        let noLeader = try nodes([("n1", true, false), ("n2", true, false)])
        let two = try nodes([("n1", true, true), ("n2", true, true)])
        let notListed = try nodes([("n1", true, true)])
        let refused = try JSONParser.parse("{\"message\":\"This node is not a swarm manager.\"}")
        for (list, own) in [(noLeader, "n1"), (two, "n1"), (notListed, "n9"), (refused, "n1")] {
            let verdict = SwarmLeadership.decide(nodes: list, ownID: own)
            guard case .unknown = verdict else { return XCTFail("\(verdict) for \(own)") }
            XCTAssertFalse(verdict.isLeader)
        }
    }
}
