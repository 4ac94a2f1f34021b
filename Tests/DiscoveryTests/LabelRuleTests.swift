// Traefik's Docker-provider rules, one case each (pkg/provider/docker/config.go, pkg/provider/configuration.go).
import Config
import Discovery
import XCTest

final class LabelRuleTests: XCTestCase {
    func container(_ name: String, _ labels: [String: String], ports: [Int] = [80], network: String = "bridge",
                   address: String = "10.0.0.2", id: String? = nil) -> DockerContainer {
        DockerContainer(id: id ?? "id-" + name, name: name, labels: labels, networkMode: network, networks: [(network, address)], ports: ports)
    }

    func build(_ containers: [DockerContainer], _ configure: (inout DockerProviderSettings) -> Void = { _ in }) -> DockerProvider.Snapshot {
        var settings = DockerProviderSettings()
        configure(&settings)
        return DockerProvider.configuration(for: containers, settings: settings)
    }

    func urls(_ c: TraefikDynamicConfig, _ service: String) -> [String] {
        guard case .loadBalancer(let lb)? = c.httpServices[service]?.kind else { return [] }
        return lb.servers.map(\.url)
    }

    func testNoLabelsExposedByDefaultGetsDefaultRouterAndService() {
        let s = build([container("whoami", ["com.docker.compose.service": "whoami", "com.docker.compose.project": "inethi"])])
        XCTAssertEqual(s.config.httpRouters["whoami-inethi@docker"]?.rule, "Host(`whoami-inethi`)")
        XCTAssertEqual(s.config.httpRouters["whoami-inethi@docker"]?.service, "whoami-inethi@docker")
        XCTAssertEqual(urls(s.config, "whoami-inethi@docker"), ["http://10.0.0.2:80"])
    }

    func testEnableAndExposedByDefault() {
        let off = build([container("a", [:]), container("b", ["traefik.enable": "false"]), container("c", ["traefik.enable": "true"])]) {
            $0.exposedByDefault = false
        }
        XCTAssertEqual(Set(off.config.httpRouters.keys), ["c@docker"])
        let on = build([container("a", [:]), container("b", ["traefik.enable": "false"])])
        XCTAssertEqual(Set(on.config.httpRouters.keys), ["a@docker"])
        let bad = build([container("d", ["traefik.enable": "yes"])])
        XCTAssertEqual(bad.problems.map(\.description), ["docker container d: label traefik.enable: expected true or false, found \"yes\"; container skipped"])
        XCTAssertTrue(bad.config.httpRouters.isEmpty)
    }

    func testKeysAreCaseInsensitive() {
        let s = build([container("x", ["Traefik.HTTP.Routers.Web.Rule": "Host(`x.lan`)", "traefik.http.routers.Web.TLS.CertResolver": "le",
                                       "traefik.http.services.Web.LoadBalancer.Server.Port": "8080"])])
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(s.config.httpRouters["Web@docker"]?.rule, "Host(`x.lan`)")
        XCTAssertEqual(s.config.httpRouters["Web@docker"]?.tls?.certResolver, "le")
        XCTAssertEqual(urls(s.config, "Web@docker"), ["http://10.0.0.2:8080"])
    }

    func testLowestExposedPortAndScheme() {
        let s = build([container("x", ["traefik.http.services.x.loadbalancer.server.scheme": "https"], ports: [8443, 443, 8080])])
        XCTAssertEqual(urls(s.config, "x@docker"), ["https://10.0.0.2:443"])
    }

    func testNoPortIsReportedWithTheLabelToSet() {
        let s = build([container("db", ["traefik.http.routers.db.entrypoints": "websecure"], ports: [])])
        XCTAssertTrue(s.config.httpRouters.isEmpty)
        XCTAssertEqual(s.problems.map(\.description),
                       ["docker container db: label traefik.http.services.db.loadbalancer.server.port: port is missing (no label and the container exposes no port); container skipped"])
    }

    func testNetworkLabelProviderNetworkAndHostNetworking() {
        let multi = DockerContainer(id: "m", name: "m", labels: ["traefik.docker.network": "back"], networkMode: "front",
                                    networks: [("front", "10.1.0.2"), ("back", "10.2.0.2")], ports: [80])
        XCTAssertEqual(urls(build([multi]).config, "m@docker"), ["http://10.2.0.2:80"])
        var viaProvider = multi
        viaProvider.labels = [:]
        XCTAssertEqual(urls(build([viaProvider]) { $0.network = "back" }.config, "m@docker"), ["http://10.2.0.2:80"])
        // A network that is not there: the first one, as Traefik falls back.
        XCTAssertEqual(urls(build([viaProvider]) { $0.network = "missing" }.config, "m@docker"), ["http://10.1.0.2:80"])
        let host = DockerContainer(id: "h", name: "h", labels: ["traefik.http.services.h.loadbalancer.server.port": "9000"], networkMode: "host")
        XCTAssertEqual(urls(build([host]).config, "h@docker"), ["http://127.0.0.1:9000"])
        let none = DockerContainer(id: "n", name: "n", networkMode: "none", ports: [80])
        XCTAssertEqual(build([none]).problems.map(\.message), ["no address for the container (network none not found); container skipped"])
    }

    func testRoutersShareTheImplicitServiceAndTooManyServices() {
        let s = build([container("wp", ["traefik.http.routers.a.rule": "Host(`a`)", "traefik.http.routers.b.rule": "Host(`b`)"])])
        XCTAssertEqual(s.config.httpRouters["a@docker"]?.service, "wp@docker")
        XCTAssertEqual(s.config.httpRouters["b@docker"]?.service, "wp@docker")
        let two = build([container("two", ["traefik.http.routers.r.rule": "Host(`r`)", "traefik.http.routers.s.rule": "Host(`s`)",
                                           "traefik.http.routers.s.service": "one",
                                           "traefik.http.services.one.loadbalancer.server.port": "81",
                                           "traefik.http.services.two.loadbalancer.server.port": "82"])])
        XCTAssertNil(two.config.httpRouters["r@docker"])
        XCTAssertEqual(two.config.httpRouters["s@docker"]?.service, "one@docker")
        XCTAssertEqual(two.problems.map(\.label), ["traefik.http.routers.r.service"])
        let noRouter = build([container("nr", ["traefik.http.services.one.loadbalancer.server.port": "81",
                                               "traefik.http.services.two.loadbalancer.server.port": "82"])])
        XCTAssertTrue(noRouter.config.httpRouters.isEmpty)
        XCTAssertEqual(noRouter.problems.map(\.message), ["could not create a router for the container: too many services"])
    }

    func testReferencesAcrossContainersAndProviders() {
        let s = build([container("proxy", ["traefik.http.middlewares.auth.basicauth.users": "u:$apr1$x$y",
                                           "traefik.http.routers.dash.rule": "Host(`t`)", "traefik.http.routers.dash.service": "api@internal"]),
                       container("app", ["traefik.http.routers.app.middlewares": "auth, headers@file"])])
        XCTAssertEqual(s.config.httpRouters["app@docker"]?.middlewares, ["auth@docker", "headers@file"])
        XCTAssertEqual(s.config.httpRouters["dash@docker"]?.service, "api@internal")
        XCTAssertNotNil(s.config.httpMiddlewares["auth@docker"])
    }

    func testDefaultRuleTemplates() {
        let c = container("My_App", ["team": "blue"])
        XCTAssertEqual(build([c]).config.httpRouters["My-App@docker"]?.rule, "Host(`My-App`)")
        let custom = build([c]) { $0.defaultRule = DockerRuleTemplate("Host(`{{ normalize .ContainerName }}.{{ index .Labels \"team\" }}.lan`)") }
        XCTAssertEqual(custom.config.httpRouters["My-App@docker"]?.rule, "Host(`My-App.blue.lan`)")
        let unsupported = build([c]) { $0.defaultRule = DockerRuleTemplate("Host(`{{ .Name | lower }}`)") }
        XCTAssertTrue(unsupported.config.httpRouters.isEmpty)
        XCTAssertEqual(unsupported.problems.map(\.label), ["traefik.http.routers.My-App.rule"])
        XCTAssertEqual(DockerNames.normalize("/a..b__c"), "a-b-c")
    }

    func testReplicasMergeAndConflictsDrop() {
        let labels = ["traefik.http.routers.web.rule": "Host(`w`)", "traefik.http.services.web.loadbalancer.server.port": "80"]
        let s = build([container("web1", labels, address: "10.0.0.2"), container("web2", labels, address: "10.0.0.3")])
        XCTAssertEqual(urls(s.config, "web@docker"), ["http://10.0.0.2:80", "http://10.0.0.3:80"])
        XCTAssertEqual(s.problems, [])
        var other = labels
        other["traefik.http.routers.web.rule"] = "Host(`other`)"
        let conflict = build([container("web1", labels), container("web2", other)])
        XCTAssertNil(conflict.config.httpRouters["web@docker"])
        XCTAssertEqual(conflict.problems.map(\.description), ["docker container web1, web2: router web@docker is defined differently by several containers; dropped"])
    }

    func testTCPLabels() {
        let s = build([container("pg", ["traefik.tcp.routers.pg.rule": "HostSNI(`*`)", "traefik.tcp.routers.pg.entrypoints": "pg",
                                        "traefik.tcp.services.pg.loadbalancer.server.port": "5432"])])
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(s.config.tcpRouters["pg@docker"]?.service, "pg@docker")
        XCTAssertEqual(s.config.tcpServices["pg@docker"]?.servers.map(\.address), ["10.0.0.2:5432"])
        // TCP only: no HTTP router is made up for the container.
        XCTAssertTrue(s.config.httpRouters.isEmpty)
    }

    func testUDPLabels() {
        // As Traefik's Docker provider: the service from server.port at the container's address, the router
        // linked to the only service, no HTTP router made up; replicas join the load balancer.
        let labels = ["traefik.udp.routers.dns.entrypoints": "dns", "traefik.udp.services.dns.loadbalancer.server.port": "53"]
        let s = build([container("dns1", labels), container("dns2", labels, address: "10.0.0.3")])
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(s.config.udpRouters["dns@docker"]?.service, "dns@docker")
        XCTAssertEqual(s.config.udpRouters["dns@docker"]?.entryPoints, ["dns"])
        XCTAssertEqual(s.config.udpServices["dns@docker"]?.kind, .loadBalancer(servers: ["10.0.0.2:53", "10.0.0.3:53"]))
        XCTAssertTrue(s.config.httpRouters.isEmpty)
        // A router alone gets a service named after the container, on its lowest exposed port.
        let implicit = build([container("wg", ["traefik.udp.routers.wg.entrypoints": "wg"])])
        XCTAssertEqual(implicit.config.udpRouters["wg@docker"]?.service, "wg@docker")
    }

    func testStoppedAndUnhealthyContainers() {
        var stopped = container("s", [:])
        stopped.running = false
        var sick = container("u", [:])
        sick.health = "unhealthy"
        XCTAssertTrue(build([stopped, sick]).config.httpRouters.isEmpty)
        let empty = build([sick]) { $0.allowEmptyServices = true }
        XCTAssertEqual(empty.config.httpRouters["u@docker"]?.service, "u@docker")
        XCTAssertEqual(urls(empty.config, "u@docker"), [])
        var healthy = container("h", [:])
        healthy.health = "healthy"
        XCTAssertNotNil(build([healthy]).config.httpRouters["h@docker"])
    }

    func testBadLabelsAreReportedAndTheRestServes() {
        let s = build([container("x", ["traefik.http.routers.a.rule": "Host(`a`)", "traefik.http.routers.a.priority": "high",
                                       "traefik.http.routers.b.rule": "Host(`b`)", "traefik.http..bad": "1",
                                       "traefik.http.routers.b.tls.domains[x].main": "b"])])
        XCTAssertNil(s.config.httpRouters["a@docker"])
        XCTAssertEqual(s.config.httpRouters["b@docker"]?.service, "x@docker")
        let text = s.problems.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("docker container x: label traefik.http..bad: malformed key"), text)
        XCTAssertTrue(text.contains("docker container x: label traefik.http.routers.a.priority: expected an integer"), text)
        XCTAssertTrue(text.contains("label traefik.http.routers.b.tls.domains[x].main: malformed key"), text)
    }

    func testTLSDomainsByIndex() {
        let s = build([container("x", ["traefik.http.routers.x.tls.domains[0].main": "a.lan", "traefik.http.routers.x.tls.domains[0].sans": "b.lan,c.lan",
                                       "traefik.http.routers.x.tls": "true"])])
        XCTAssertEqual(s.problems, [])
        XCTAssertEqual(s.config.httpRouters["x@docker"]?.tls?.domains, [TraefikDomain(main: "a.lan", sans: ["b.lan", "c.lan"])])
    }
}
