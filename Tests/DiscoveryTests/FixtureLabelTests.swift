// The label parser on every shared fixture: docker-compose.yml and ansible-labels.yml, as containers on
// the provider network of traefik.toml (exposedByDefault=false, network inethi-bridge-traefik), with the
// ports their images expose. Expected results are Traefik's (pkg/provider/docker, pkg/provider/configuration.go).
import Config
import Discovery
import Proxy
import XCTest

final class FixtureLabelTests: XCTestCase {
    /// The ports the fixture images EXPOSE.
    static let imagePorts: [String: [Int]] = ["traefik": [80], "nextcloud": [80], "nextcloud-db": [3306], "wordpress": [80],
                                              "prometheus": [9090], "unifi": [8080, 8443], "keycloak": [8080, 8443],
                                              "radio": [80, 443], "plain": [80], "jellyfin": [8096], "grafana": [3000], "peertube": [9000]]

    static var fixtureSettings: DockerProviderSettings {
        var s = DockerProviderSettings()
        s.exposedByDefault = false
        s.network = "inethi-bridge-traefik"
        return s
    }

    static func containers(_ entries: [(name: String, labels: [String: String])], project: String?) -> [DockerContainer] {
        entries.enumerated().map { i, e in
            var labels = e.labels
            if let project {
                labels["com.docker.compose.service"] = e.name
                labels["com.docker.compose.project"] = project
            }
            return DockerContainer(id: "id\(i)", name: project.map { "\($0)-\(e.name)-1" } ?? e.name, labels: labels, networkMode: "inethi-bridge-traefik",
                                   networks: [("inethi-bridge-traefik", "172.20.0.\(i + 2)")], ports: imagePorts[e.name] ?? [])
        }
    }

    func testComposeFixture() throws {
        let entries = try FixtureLabels.compose()
        XCTAssertEqual(entries.count, 9)
        let snapshot = DockerProvider.configuration(for: Self.containers(entries, project: "inethi"), settings: Self.fixtureSettings)
        let c = snapshot.config
        XCTAssertEqual(snapshot.problems.map(\.description), [])
        XCTAssertEqual(Set(c.httpRouters.keys), ["dashboard@docker", "nextcloud@docker", "nextcloud-db@docker", "wordpress@docker", "www@docker",
                                                 "Prometheus@docker", "unifi@docker", "keycloak@docker", "radio@docker"])
        // The dashboard goes to api@internal; its container still gets its implicit service.
        XCTAssertEqual(c.httpRouters["dashboard@docker"]?.service, "api@internal")
        XCTAssertEqual(c.httpRouters["dashboard@docker"]?.tls?.certResolver, "letsencrypt")
        XCTAssertEqual(c.httpRouters["dashboard@docker"]?.entryPoints, ["websecure"])
        // Mixed-case keys: tls.certResolver and tls.certresolver both read.
        XCTAssertEqual(c.httpRouters["nextcloud@docker"]?.tls?.certResolver, "letsencrypt")
        XCTAssertEqual(servers(c, "nextcloud@docker"), ["http://172.20.0.3:80"])
        // The database: enable + entry point, no rule, no port label → the default rule and its lowest exposed port.
        XCTAssertEqual(c.httpRouters["nextcloud-db@docker"]?.rule, "Host(`nextcloud-db-inethi`)")
        XCTAssertEqual(c.httpRouters["nextcloud-db@docker"]?.service, "nextcloud-db-inethi@docker")
        XCTAssertEqual(servers(c, "nextcloud-db-inethi@docker"), ["http://172.20.0.4:3306"])
        // Two routers share one implicit service.
        XCTAssertEqual(c.httpRouters["wordpress@docker"]?.service, "wordpress-inethi@docker")
        XCTAssertEqual(c.httpRouters["www@docker"]?.service, "wordpress-inethi@docker")
        XCTAssertEqual(c.httpRouters["www@docker"]?.rule, "Host(`www.inethilocal.net`)")
        // A middleware defined on the proxy's container, used by another container's router.
        XCTAssertEqual(c.httpRouters["Prometheus@docker"]?.middlewares, ["myauth@docker"])
        XCTAssertEqual(c.httpRouters["Prometheus@docker"]?.service, "prometheus@docker")
        XCTAssertEqual(c.httpRouters["Prometheus@docker"]?.entryPoints, [])
        XCTAssertNotNil(c.httpMiddlewares["myauth@docker"])
        XCTAssertEqual(servers(c, "prometheus@docker"), ["http://172.20.0.6:9090"])
        XCTAssertEqual(servers(c, "unifi@docker"), ["https://172.20.0.7:8443"])
        XCTAssertEqual(c.httpRouters["keycloak@docker"]?.middlewares, ["kc-headers@docker"])
        XCTAssertNotNil(c.httpMiddlewares["kc-headers@docker"])
        XCTAssertEqual(c.httpRouters["radio@docker"]?.middlewares, ["cors@docker"])
        XCTAssertEqual(servers(c, "radio@docker"), ["http://172.20.0.9:80"])
        XCTAssertEqual(servers(c, "traefik-inethi@docker"), ["http://172.20.0.2:80"])
        XCTAssertNil(c.httpRouters["plain@docker"])

        // The whole set builds into a route table with nothing skipped.
        let built = RouteTableBuilder.build([c], entryPointNames: ["web", "websecure", "traefik"])
        // (api@internal comes with the API work: until then the dashboard's router is the only one skipped.)
        XCTAssertEqual(built.problems.filter { !$0.contains("api@internal") }, [])
    }

    func testAnsibleFixture() throws {
        let entries = try FixtureLabels.ansible()
        XCTAssertEqual(entries.map(\.name), ["jellyfin", "grafana", "peertube"])
        let snapshot = DockerProvider.configuration(for: Self.containers(entries, project: nil), settings: Self.fixtureSettings)
        let c = snapshot.config
        XCTAssertEqual(snapshot.problems.map(\.description), [])
        XCTAssertEqual(Set(c.httpRouters.keys), ["jellyfin@docker", "grafana@docker", "peertube@docker"])
        XCTAssertEqual(servers(c, "jellyfin@docker"), ["http://172.20.0.2:8096"])
        XCTAssertEqual(servers(c, "grafana@docker"), ["http://172.20.0.3:3000"])
        XCTAssertEqual(c.httpRouters["peertube@docker"]?.entryPoints, ["web", "websecure"])
        XCTAssertEqual(c.httpRouters["jellyfin@docker"]?.tls?.certResolver, "letsencrypt")
        XCTAssertEqual(RouteTableBuilder.build([c], entryPointNames: ["web", "websecure"]).problems, [])
    }

    /// On host networking every container is reached on the host address; without exposed ports the
    /// database has no port and is skipped with its container name and the label to set.
    func testFixturesOnHostNetworking() throws {
        var containers = Self.containers(try FixtureLabels.compose(), project: "inethi")
        for i in containers.indices {
            containers[i].networkMode = "host"
            containers[i].networks = []
            containers[i].ports = []
        }
        let snapshot = DockerProvider.configuration(for: containers, settings: Self.fixtureSettings)
        XCTAssertEqual(servers(snapshot.config, "nextcloud@docker"), ["http://127.0.0.1:80"])
        XCTAssertNil(snapshot.config.httpRouters["nextcloud-db@docker"])
        let skipped = snapshot.problems.map(\.description)
        XCTAssertTrue(skipped.contains { $0.contains("inethi-nextcloud-db-1") && $0.contains("traefik.http.services.nextcloud-db-inethi.loadbalancer.server.port") }, "\(skipped)")
        // traefik and wordpress have no port either (no label, nothing exposed): skipped too, the rest serve.
        XCTAssertNotNil(snapshot.config.httpRouters["Prometheus@docker"])
        XCTAssertNil(snapshot.config.httpMiddlewares["myauth@docker"])
    }

    func servers(_ c: TraefikDynamicConfig, _ service: String) -> [String] {
        guard case .loadBalancer(let lb)? = c.httpServices[service]?.kind else { return [] }
        return lb.servers.map(\.url)
    }
}
