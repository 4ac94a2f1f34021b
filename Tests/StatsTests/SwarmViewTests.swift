// `stoep stats --swarm`: the flag is `show swarm` and nothing else, and the text view shows one row per
// node, the total row and a `down:` line with the reason for each node that did not answer.
import JSON
@testable import Stats
import XCTest

final class SwarmViewTests: XCTestCase {
    func testTheFlagIsShowSwarm() {
        XCTAssertEqual(try StatsCLI.parse(["--swarm", "--json"]).get().words, ["show", "swarm"])
        XCTAssertEqual(try StatsCLI.parse(["--swarm", "--json"]).get().json, true)
        guard case .failure(let problem) = StatsCLI.parse(["--swarm", "show", "info"]) else { return XCTFail("accepted") }
        XCTAssertTrue(problem.message.contains("--swarm"), problem.message)
    }

    func testRowsTotalsAndReasons() throws {
        let document = try JSONParser.parse(Array("""
            {"listed": true, "nodes_up": 2, "nodes_down": 1,
             "totals": {"http_requests": 16, "dns_queries": 8, "dns_cache_hits": 1, "dns_cache_misses": 3, "certificates": 4, "rss_bytes": 4000, "open_connections": 2},
             "nodes": [
               {"node_id": "aaaaaaaaaaaaaaaaaaaa", "address": "10.0.1.2", "self": true, "state": "up", "hostname": "pi-a", "uptime_s": 65,
                "http_requests": 5, "dns_queries": 7, "certificates": 2, "rss_bytes": 1000, "open_connections": 1},
               {"node_id": "bbbbbbbbbbbbbbbbbbbb", "address": "10.0.1.3", "self": false, "state": "up", "hostname": "pi-b", "uptime_s": 30,
                "http_requests": 11, "dns_queries": 1, "certificates": 2, "rss_bytes": 3000, "open_connections": 1},
               {"node_id": "cccccccccccccccccccc", "address": "10.0.1.4", "self": false, "state": "down", "reason": "connection refused"}]}
            """.utf8))
        let text = DocumentView.render(command: .showSwarm, document: document)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("NODE"), text)
        XCTAssertTrue(lines[1].hasPrefix("aaaaaaaaaaaa *") && lines[1].contains("pi-a") && lines[1].contains(" up "), text)
        XCTAssertTrue(lines[3].hasPrefix("cccccccccccc") && lines[3].contains("down"), text)
        XCTAssertTrue(lines[4].hasPrefix("total") && lines[4].contains("2 up, 1 down") && lines[4].contains("16"), text)
        XCTAssertTrue(lines.contains("down: cccccccccccc: connection refused"), text)
        XCTAssertFalse(text.contains("no Swarm listing"), text)
        let error = try JSONParser.parse(Array("{\"error\": \"not in a cluster: [cluster] is not configured (docs/cluster.md)\"}".utf8))
        XCTAssertEqual(DocumentView.render(command: .showSwarm, document: error), "error: not in a cluster: [cluster] is not configured (docs/cluster.md)\n")
    }
}
