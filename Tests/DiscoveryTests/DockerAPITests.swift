// The Engine API pieces that need no daemon: the inspect document. The response reader is tested in
// HTTPTests/HTTPResponseReaderTests, the host names auto-DNS publishes in RulesTests/RuleHostNamesTests.
import Discovery
import JSON
import XCTest

final class DockerAPITests: XCTestCase {
    func testInspectDocumentFromPodman() throws {
        let json = try JSONParser.parse("""
        {"Id":"18fc","Name":"/t1","State":{"Running":true,"Health":{"Status":"","FailingStreak":0,"Log":null}},
         "Config":{"Labels":{"traefik.enable":"true","n":"1"}},"HostConfig":{"NetworkMode":"host"},
         "NetworkSettings":{"Networks":{},"Ports":{}}}
        """)
        let c = try XCTUnwrap(DockerContainer(inspect: json))
        XCTAssertEqual(c.name, "t1")
        XCTAssertEqual(c.labels, ["traefik.enable": "true", "n": "1"])
        XCTAssertTrue(c.running && c.usesHostNetwork)
        XCTAssertEqual(c.health, "")
        let docker = try JSONParser.parse("""
        {"Id":"ab","Name":"/inethi-web-1","State":{"Running":true,"Health":{"Status":"healthy"}},"Config":{"Labels":null},
         "HostConfig":{"NetworkMode":"inethi_default"},
         "NetworkSettings":{"Networks":{"inethi_default":{"IPAddress":"172.18.0.3"},"v6only":{"IPAddress":"","GlobalIPv6Address":"fd00::3"}},
                            "Ports":{"8080/tcp":null,"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8000"}]}}}
        """)
        let d = try XCTUnwrap(DockerContainer(inspect: docker))
        XCTAssertEqual(d.ports, [80, 8080])
        XCTAssertEqual(d.networks.map(\.address), ["172.18.0.3", "fd00::3"])
        XCTAssertEqual(d.health, "healthy")
        XCTAssertNil(DockerContainer(inspect: try JSONParser.parse("{\"message\":\"no such container\"}")))
    }
}
