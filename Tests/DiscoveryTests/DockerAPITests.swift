// The Engine API pieces that need no daemon: the response decoder (fed byte by byte and whole), the
// inspect document, and the hosts a rule publishes.
import Discovery
import JSON
import Stats
import XCTest

final class DockerAPITests: XCTestCase {
    func decode(_ text: String, step: Int) throws -> (DockerResponseDecoder, String) {
        var d = DockerResponseDecoder()
        let bytes = Array(text.utf8)
        var body: [UInt8] = []
        var i = 0
        while i < bytes.count {
            body += try d.feed(bytes[i..<min(i + step, bytes.count)])
            i += step
        }
        return (d, String(decoding: body, as: UTF8.self))
    }

    func testChunkedAndLengthBodiesInAnyPieces() throws {
        let chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nb;ext=1\r\n1}\n{\"b\":2}\n\r\n0\r\n\r\n"
        for step in [1, 3, 7, 1000] {
            let (d, body) = try decode(chunked, step: step)
            XCTAssertEqual(d.status, 200)
            XCTAssertTrue(d.complete)
            XCTAssertEqual(body, "{\"a\":1}\n{\"b\":2}\n")
        }
        let (d, body) = try decode("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnopeEXTRA", step: 2)
        XCTAssertEqual(d.status, 404)
        XCTAssertEqual(body, "nope")
        XCTAssertTrue(d.complete)
    }

    func testMalformedResponsesAreErrorsNotCrashes() {
        var d = DockerResponseDecoder()
        XCTAssertThrowsError(try d.feed(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)[...]))
        var c = DockerResponseDecoder()
        XCTAssertThrowsError(try c.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)[...]))
        var cut = DockerResponseDecoder()
        _ = try? cut.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)[...])
        XCTAssertThrowsError(try cut.finish())
        var close = DockerResponseDecoder()
        XCTAssertEqual(try close.feed(Array("HTTP/1.0 200 OK\r\n\r\nall".utf8)[...]), Array("all".utf8))
        XCTAssertNoThrow(try close.finish())
    }

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

    func testHostsOfRules() {
        XCTAssertEqual(RuleHosts.hosts(in: "Host(`A.inethilocal.net.`)"), ["a.inethilocal.net"])
        XCTAssertEqual(RuleHosts.hosts(in: "Host(`a.lan`) || (Host(`b.lan`) && PathPrefix(`/x`))"), ["a.lan", "b.lan"])
        XCTAssertEqual(RuleHosts.hosts(in: "Host(`a.lan`, \"b.lan\")"), ["a.lan", "b.lan"])
        XCTAssertEqual(RuleHosts.hosts(in: "HostRegexp(`.+\\.lan`) || HostSNI(`x.lan`) || !Host(`no.lan`) || Host(`*.lan`)"), [])
        XCTAssertEqual(RuleHosts.hosts(in: "HostHeader(`v2.lan`)"), ["v2.lan"])
        XCTAssertEqual(RuleHosts.hosts(in: "Host(`unterminated"), ["unterminated"])
    }
}
