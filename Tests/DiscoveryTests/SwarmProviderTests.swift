// The Swarm provider's reading of the Engine API (GET /networks?filters={"scope":["swarm"]}, /services,
// /tasks?filters={"desired-state":["running"]}), with documents shaped as the Engine API reference (v1.41)
// describes them, against what Traefik 3.7's swarm provider builds (pkg/provider/docker/pswarm.go,
// config.go, shared_labels.go): task addresses on the chosen network, the virtual IP with lbswarm, only
// service labels, the normalised service name, and the services Traefik skips.
import Config
import Discovery
import JSON
import XCTest

final class SwarmProviderTests: XCTestCase {
    static let networks = """
        [{"Name":"ingress","Id":"ing0","Scope":"swarm","Driver":"overlay"},
         {"Name":"stack_front","Id":"net1","Scope":"swarm","Driver":"overlay"},
         {"Name":"stack_back","Id":"net2","Scope":"swarm","Driver":"overlay"},
         {"Name":"bridge","Id":"br0","Scope":"local","Driver":"bridge"}]
        """

    func service(_ id: String, _ name: String, labels: [String: String], mode: String = "vip", global: Bool = false,
                 vips: [(String, String)] = []) -> String {
        let labelText = labels.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        let vipText = vips.map { "{\"NetworkID\":\"\($0.0)\",\"Addr\":\"\($0.1)\"}" }.joined(separator: ",")
        let modeText = global ? "{\"Global\":{}}" : "{\"Replicated\":{\"Replicas\":2}}"
        return """
            {"ID":"\(id)","Version":{"Index":19},"Spec":{"Name":"\(name)","Labels":{\(labelText)},
              "TaskTemplate":{"ContainerSpec":{"Image":"web:1","Labels":{"traefik.http.routers.fromcontainer.rule":"Host(`container.test`)"}}},
              "Mode":\(modeText),"EndpointSpec":{"Mode":"\(mode)"}},
             "Endpoint":{"Spec":{"Mode":"\(mode)"},"VirtualIPs":[\(vipText)]}}
            """
    }

    func task(_ id: String, service: String, slot: Int, state: String = "running", attachments: [(String, [String])]) -> String {
        let att = attachments.map { a in
            "{\"Network\":{\"ID\":\"\(a.0)\",\"Spec\":{\"Name\":\"x\"}},\"Addresses\":[\(a.1.map { "\"\($0)\"" }.joined(separator: ","))]}"
        }.joined(separator: ",")
        return """
            {"ID":"\(id)","ServiceID":"\(service)","Slot":\(slot),"NodeID":"node1","DesiredState":"running",
             "Status":{"State":"\(state)","ContainerStatus":{"ContainerID":"c\(id)"}},"NetworksAttachments":[\(att)]}
            """
    }

    func snapshot(services: [String], tasks: [String], _ configure: (inout DockerProviderSettings) -> Void = { _ in }) throws -> DockerProvider.Snapshot {
        var options = TraefikDockerProvider()
        options.swarmMode = true
        options.name = "swarm"
        var settings = DockerProviderSettings(options)
        configure(&settings)
        let (containers, problems) = SwarmServices.containers(networks: try JSONParser.parse(Self.networks),
                                                              services: try JSONParser.parse("[" + services.joined(separator: ",") + "]"),
                                                              tasks: try JSONParser.parse("[" + tasks.joined(separator: ",") + "]"),
                                                              exposedByDefault: settings.exposedByDefault)
        var s = DockerProvider.configuration(for: containers, settings: settings)
        s.problems = problems + s.problems
        return s
    }

    func urls(_ s: DockerProvider.Snapshot, _ service: String) -> [String] {
        guard case .loadBalancer(let lb)? = s.config.httpServices[service]?.kind else { return [] }
        return lb.servers.map(\.url)
    }

    let port = ["traefik.http.services.web.loadbalancer.server.port": "8080"]

    func testRunningTasksOnTheirNetworkWithTheDefaultRule() throws {
        let s = try snapshot(services: [service("svc1", "stack_web", labels: port)],
                             tasks: [task("t1", service: "svc1", slot: 1, attachments: [("net1", ["10.0.1.3/24"])]),
                                     task("t2", service: "svc1", slot: 2, attachments: [("net1", ["10.0.1.4/24"])]),
                                     task("t3", service: "svc1", slot: 3, state: "starting", attachments: [("net1", ["10.0.1.5/24"])])])
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(Set(s.config.httpRouters.keys), ["stack-web@swarm"])
        XCTAssertEqual(s.config.httpRouters["stack-web@swarm"]?.rule, "Host(`stack-web`)")
        XCTAssertEqual(s.config.httpRouters["stack-web@swarm"]?.service, "web@swarm")
        XCTAssertEqual(urls(s, "web@swarm"), ["http://10.0.1.3:8080", "http://10.0.1.4:8080"])
    }

    func testNetworkLabelsChooseTheAddress() throws {
        let attachments = [("net1", ["10.0.1.3/24"]), ("net2", ["10.0.2.3/24"])]
        let cases: [([String: String], String, UInt)] = [([:], "http://10.0.1.3:8080", #line),
                                         (["traefik.swarm.network": "stack_back"], "http://10.0.2.3:8080", #line),
                                         (["traefik.docker.network": "stack_back"], "http://10.0.2.3:8080", #line),
                                         (["traefik.swarm.network": "back"], "http://10.0.1.3:8080", #line)]  // unprefixed: not found, first
        for (labels, expected, line) in cases {
            let s = try snapshot(services: [service("svc1", "stack_web", labels: port.merging(labels) { a, _ in a })],
                                 tasks: [task("t1", service: "svc1", slot: 1, attachments: attachments)])
            XCTAssertEqual(urls(s, "web@swarm"), [expected], "\(labels)", line: line)
        }
        let s = try snapshot(services: [service("svc1", "stack_web", labels: port)],
                             tasks: [task("t1", service: "svc1", slot: 1, attachments: attachments)]) { $0.network = "stack_back" }
        XCTAssertEqual(urls(s, "web@swarm"), ["http://10.0.2.3:8080"])
    }

    func testLBSwarmUsesTheVirtualIPAndDNSRRFallsBackToTasks() throws {
        let tasks = [task("t1", service: "svc1", slot: 1, attachments: [("net1", ["10.0.1.3/24"])])]
        for key in ["traefik.swarm.lbswarm", "traefik.docker.lbswarm"] {
            let vip = try snapshot(services: [service("svc1", "stack_web", labels: port.merging([key: "true"]) { a, _ in a },
                                                      vips: [("ing0", "10.0.0.9/24"), ("net1", "10.0.1.2/24")])], tasks: tasks) { $0.network = "stack_front" }
            XCTAssertEqual(urls(vip, "web@swarm"), ["http://10.0.1.2:8080"], key)
        }
        // Traefik logs "Fallback to Traefik load balancing" for dnsrr and then drops the service; stoep
        // does what the log says.
        let dnsrr = try snapshot(services: [service("svc1", "stack_web", labels: port.merging(["traefik.swarm.lbswarm": "true"]) { a, _ in a }, mode: "dnsrr")],
                                 tasks: tasks)
        XCTAssertEqual(urls(dnsrr, "web@swarm"), ["http://10.0.1.3:8080"])
        let broken = try snapshot(services: [service("svc1", "stack_web", labels: port.merging(["traefik.swarm.lbswarm": "maybe"]) { a, _ in a })], tasks: tasks)
        XCTAssertTrue(broken.config.httpRouters.isEmpty)
        XCTAssertEqual(broken.problems.map(\.description), ["swarm service stack_web: label traefik.swarm.lbswarm: expected true or false, found \"maybe\"; service skipped"])
    }

    func testSkipsWhatTraefikSkips() throws {
        let s = try snapshot(services: [service("a", "noport", labels: ["traefik.http.routers.r.rule": "Host(`a.test`)"]),
                                        service("b", "both", labels: port.merging(["traefik.docker.network": "stack_front", "traefik.swarm.network": "stack_front"]) { a, _ in a }),
                                        service("c", "hostnet", labels: port),
                                        service("d", "disabled", labels: port.merging(["traefik.enable": "false"]) { a, _ in a })],
                             tasks: [task("ta", service: "a", slot: 1, attachments: [("net1", ["10.0.1.3/24"])]),
                                     task("tb", service: "b", slot: 1, attachments: [("net1", ["10.0.1.4/24"])]),
                                     task("tc", service: "c", slot: 1, attachments: []),
                                     task("tc2", service: "c", slot: 2, attachments: [("br0", ["172.18.0.3/16"])]),
                                     task("td", service: "d", slot: 1, attachments: [("net1", ["10.0.1.6/24"])])])
        XCTAssertTrue(s.config.httpRouters.isEmpty, "\(s.config.httpRouters.keys)")
        XCTAssertEqual(s.problems.map(\.description).sorted(), [
            "swarm service both: both Docker and Swarm labels are defined (traefik.docker.* and traefik.swarm.*); service skipped",
            "swarm service hostnet: no running task has an address on a swarm-scoped network (host networking or a bridge network: a proxy cannot reach it by the API's addresses); service skipped",
            "swarm service noport: label traefik.http.services.noport.loadbalancer.server.port: port is missing (a Swarm service needs this label: the API gives no port of a task); service skipped",
        ])
    }

    func testOnlyServiceLabelsCountAndGlobalTasksAreNamedByID() throws {
        let s = try snapshot(services: [service("g", "edge_whoami", labels: port, global: true)],
                             tasks: [task("gt1", service: "g", slot: 0, attachments: [("net1", ["10.0.1.7/24"])]),
                                     task("gt2", service: "g", slot: 0, attachments: [("net1", ["10.0.1.8/24"])])])
        XCTAssertNil(s.config.httpRouters["fromcontainer@swarm"])
        XCTAssertEqual(urls(s, "web@swarm"), ["http://10.0.1.7:8080", "http://10.0.1.8:8080"])
        XCTAssertEqual(s.containers, 2)
    }

    func testStaticConfiguration() {
        func decode(_ text: String) -> (TraefikStaticConfig, [ConfigIssue]) {
            let (table, errors) = TOMLParser.parse(text, file: "traefik.toml")
            XCTAssertEqual(errors, [])
            return TraefikStaticConfig.decode(table)
        }
        let (plain, none) = decode("[providers.swarm]\n")
        XCTAssertEqual(none, [])
        XCTAssertEqual(plain.providers.swarm?.refreshSeconds, .seconds(15))
        XCTAssertEqual(plain.providers.swarm?.name, "swarm")
        XCTAssertEqual(plain.providers.swarm?.swarmMode, true)
        XCTAssertEqual(plain.providers.swarm?.endpoint, "unix:///var/run/docker.sock")
        let (tuned, _) = decode("[providers.swarm]\nrefreshSeconds = \"2s\"\nendpoint = \"tcp://127.0.0.1:2375\"\nnetwork = \"comm\"\nexposedByDefault = false\nwatch = false\n")
        XCTAssertEqual(tuned.providers.swarm?.refreshSeconds, .seconds(2))
        XCTAssertEqual(tuned.providers.swarm?.network, "comm")
        XCTAssertEqual(tuned.providers.swarm?.watch, false)
        let (_, zero) = decode("[providers.swarm]\nrefreshSeconds = 0\n")
        XCTAssertEqual(zero.map(\.path), ["providers.swarm.refreshSeconds"])
        XCTAssertEqual(zero.first?.severity, .error)
        let (_, unknown) = decode("[providers.swarm]\nswarmMode = true\n")
        XCTAssertEqual(unknown.map(\.path), ["providers.swarm.swarmMode"])
        // v2: providers.docker.swarmMode, read with a warning, routers named @docker.
        let (v2, warned) = decode("[providers.docker]\nswarmMode = true\nswarmModeRefreshSeconds = 5\n")
        XCTAssertEqual(v2.providers.docker?.swarmMode, true)
        XCTAssertEqual(v2.providers.docker?.name, "docker")
        XCTAssertEqual(v2.providers.docker?.refreshSeconds, .seconds(5))
        XCTAssertEqual(warned.map(\.severity), [.warning])
    }
}
