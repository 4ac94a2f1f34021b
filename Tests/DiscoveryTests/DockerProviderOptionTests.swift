// The Docker provider's options beyond enable and rules (Traefik v3.7.9 pkg/provider/docker/config.go
// keepContainer and getIPPort): constraints, traefik.docker.allownonrunning, useBindPortIP, and the static
// decoder's verdicts on endpoint, tls, constraints and httpClientTimeout.
import Config
import Discovery
import JSON
import XCTest

final class DockerProviderOptionTests: XCTestCase {
    func container(_ name: String, _ labels: [String: String] = [:], running: Bool = true) -> DockerContainer {
        DockerContainer(id: "id-" + name, name: name, labels: labels, running: running, networkMode: "bridge",
                        networks: [("bridge", "10.0.0.2")], ports: [80])
    }

    func routers(_ containers: [DockerContainer], _ configure: (inout DockerProviderSettings) -> Void) -> Set<String> {
        var settings = DockerProviderSettings()
        configure(&settings)
        return Set(DockerProvider.configuration(for: containers, settings: settings).config.httpRouters.keys)
    }

    func testConstraintsKeepOnlyMatchingContainers() {
        let all = [container("a", ["zone": "public"]), container("b", ["zone": "lan"]), container("c")]
        let cases: [(String, Set<String>, UInt)] = [
            ("", ["a@docker", "b@docker", "c@docker"], #line),
            ("Label(`zone`, `public`)", ["a@docker"], #line),
            ("!Label(`zone`, `public`)", ["b@docker", "c@docker"], #line),
            ("LabelRegex(`zone`, `^(public|lan)$`)", ["a@docker", "b@docker"], #line),
            ("Label(`zone`, `lan`) || Label(`zone`, ``)", ["b@docker", "c@docker"], #line),
        ]
        for (expression, expected, line) in cases {
            XCTAssertEqual(routers(all, { $0.constraints = expression }), expected, expression, line: line)
        }
    }

    func testAllowNonRunningKeepsRoutersWithoutServers() {
        let stopped = container("s", ["traefik.docker.allownonrunning": "true"], running: false)
        var settings = DockerProviderSettings()
        let snapshot = DockerProvider.configuration(for: [stopped, container("t", running: false)], settings: settings)
        XCTAssertEqual(Set(snapshot.config.httpRouters.keys), ["s@docker"])
        guard case .loadBalancer(let lb)? = snapshot.config.httpServices["s@docker"]?.kind else { return XCTFail("no service") }
        XCTAssertEqual(lb.servers.count, 0)
        settings.exposedByDefault = false
        XCTAssertTrue(DockerProvider.configuration(for: [stopped], settings: settings).config.httpRouters.isEmpty)
    }

    func testUseBindPortIP() throws {
        let json = try JSONParser.parse(Array("""
            {"Id":"abc","Name":"/web","Config":{"Labels":{}},"State":{"Running":true},"HostConfig":{"NetworkMode":"bridge"},
             "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"10.0.0.5"}},
               "Ports":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}],"81/tcp":[{"HostIp":"0.0.0.0","HostPort":"8082"}]}}}
            """.utf8))
        let web = try XCTUnwrap(DockerContainer(inspect: json))
        func url(_ bind: Bool, _ port: String?) -> String? {
            var c = web
            if let port { c.labels["traefik.http.services.web.loadbalancer.server.port"] = port }
            var settings = DockerProviderSettings()
            settings.useBindPortIP = bind
            guard case .loadBalancer(let lb)? = DockerProvider.configuration(for: [c], settings: settings).config.httpServices["web@docker"]?.kind else { return nil }
            return lb.servers.first?.url
        }
        XCTAssertEqual(url(false, nil), "http://10.0.0.5:80")
        XCTAssertEqual(url(true, nil), "http://127.0.0.1:8081")
        XCTAssertEqual(url(true, "81"), "http://10.0.0.5:81")    // unspecified host IP: the container's own
    }

    func testStaticDecoderVerdicts() {
        let cases: [(String, String?, UInt)] = [
            ("endpoint: tcp://127.0.0.1:2375", nil, #line),
            ("endpoint: tcp://[::1]:2375", nil, #line),
            ("endpoint: tcp://socket-proxy:2375", nil, #line),   // resolved when the provider starts (a warning)
            ("endpoint: ssh://me@host", "unix:// and tcp://", #line),
            ("endpoint: tcp://127.0.0.1:2376\n      tls:\n        insecureSkipVerify: true", nil, #line),
            ("endpoint: tcp://127.0.0.1:2376\n      tls:\n        cert: /c.pem", "client certificates", #line),
            ("tls:\n        ca: /ca.pem", "tcp:// endpoint only", #line),
            ("constraints: Label(`a`, `b`) && !LabelRegex(`c`, `d.*`)", nil, #line),
            ("constraints: Label(`a`)", "takes 2 arguments", #line),
            ("httpClientTimeout: 5s", nil, #line),
            ("username: me", "basic authentication", #line),
        ]
        for (yaml, expected, line) in cases {
            let text = "providers:\n  docker:\n      \(yaml)\n"
            let (table, parseErrors) = YAMLReader.parse(text, file: "t.yml")
            XCTAssertEqual(parseErrors.count, 0, yaml, line: line)
            let (_, issues) = TraefikStaticConfig.decode(table)
            let errors = issues.filter { $0.severity == .error }.map(\.description)
            if let expected {
                XCTAssertTrue(errors.contains { $0.contains(expected) }, "\(yaml): \(errors)", line: line)
            } else {
                XCTAssertEqual(errors, [], yaml, line: line)
            }
        }
    }
}
