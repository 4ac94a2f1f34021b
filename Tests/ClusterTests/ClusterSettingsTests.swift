// `[cluster]` as stoep.toml writes it: every key, its defaults, the environment's service name, and each
// malformed value refused with its file, line and key.
import Cluster
import Config
import XCTest

final class ClusterSettingsTests: XCTestCase {
    private func decode(_ toml: String, environment: [String: String] = [:]) throws -> (ClusterSettings?, [ConfigError]) {
        let config = try ConfigLoader.parse(text: toml, file: "stoep.toml").get()
        return ClusterSettings.decode(config.raw["cluster"], environment: environment)
    }

    func testEveryKey() throws {
        let (s, errors) = try decode("""
            [cluster]
            address = ":8443"
            ca = "/run/secrets/x"
            service = "edge_stoep"
            network = "community"
            timeout = 1.5
            """)
        XCTAssertEqual(errors, [])
        let settings = try XCTUnwrap(s)
        XCTAssertEqual(settings.address, HostPort(host: "", port: 8443, isIPv6: false))
        XCTAssertEqual(settings.caPath, "/run/secrets/x")
        XCTAssertEqual(settings.service, "edge_stoep")
        XCTAssertEqual(settings.network, "community")
        XCTAssertEqual(settings.timeout, 1.5)
        XCTAssertEqual(settings.timeoutNanos, 1_500_000_000)
    }

    func testDefaultsAndTheServiceFromTheEnvironment() throws {
        let (s, errors) = try decode("[cluster]\naddress = \"10.0.1.2:8443\"\n", environment: ["STOEP_CLUSTER_SERVICE": "edge_stoep"])
        XCTAssertEqual(errors, [])
        let settings = try XCTUnwrap(s)
        XCTAssertEqual(settings.caPath, ClusterSettings.defaultCA)
        XCTAssertEqual(settings.timeout, 2)
        XCTAssertEqual(settings.service, "edge_stoep")
        XCTAssertNil(settings.network)
        // The file wins over the environment.
        let (written, _) = try decode("[cluster]\naddress = \":1\"\nservice = \"mine\"\n", environment: ["STOEP_CLUSTER_SERVICE": "edge_stoep"])
        XCTAssertEqual(written?.service, "mine")
    }

    func testNoTableIsNoCluster() throws {
        let (s, errors) = try decode("[stats]\nsocket = \"/tmp/x.sock\"\n")
        XCTAssertNil(s)
        XCTAssertEqual(errors, [])
    }

    func testMalformedValuesAreRefusedAtTheirKey() throws {
        let cases: [(String, String)] = [
            ("[cluster]\nca = \"/x\"\n", "[cluster] is missing 'address'"),
            ("[cluster]\naddress = \"node1:8443\"\n", "[cluster] address: expected"),
            ("[cluster]\naddress = 8443\n", "[cluster] address: expected"),
            ("[cluster]\naddress = \":8443\"\ntimeout = 0\n", "[cluster] timeout: expected seconds"),
            ("[cluster]\naddress = \":8443\"\ntimeout = 30\n", "[cluster] timeout: expected seconds"),
            ("[cluster]\naddress = \":8443\"\nservice = \"edge stoep\"\n", "[cluster] service: expected a Swarm service name"),
            ("[cluster]\naddress = \":8443\"\nnetwork = \"\"\n", "[cluster] network: expected a Swarm network name"),
            ("[cluster]\naddress = \":8443\"\nca = \"\"\n", "[cluster] ca: expected a file path"),
            ("[cluster]\naddress = \":8443\"\npeers = [\"10.0.0.2\"]\n", "[cluster] peers: unknown key"),
            ("cluster = 1\n", "cluster: expected a table"),
        ]
        for (toml, message) in cases {
            let (_, errors) = try decode(toml)
            XCTAssertEqual(errors.count, 1, toml)
            XCTAssertTrue(errors.first?.message.hasPrefix(message) ?? false, "\(toml): \(errors)")
            if !toml.hasPrefix("cluster =") { XCTAssertEqual(errors.first?.location?.file, "stoep.toml", toml) }
        }
        let (_, env) = try decode("[cluster]\naddress = \":1\"\n", environment: ["STOEP_CLUSTER_SERVICE": "a b"])
        XCTAssertTrue(env.first?.message.hasPrefix("STOEP_CLUSTER_SERVICE=a b") ?? false, "\(env)")
    }

    func testWhatTheChannelNeedsFromTheRest() throws {
        let settings = try XCTUnwrap(try decode("[cluster]\naddress = \":8443\"\n").0)
        let all = settings.problems(swarmNetwork: nil, swarmConfigured: false).map(\.message)
        XCTAssertEqual(all.count, 3, "\(all)")
        XCTAssertTrue(all[0].contains("needs providers.swarm"))
        XCTAssertTrue(all[1].contains("needs service"))
        XCTAssertTrue(all[2].contains("needs network"))
        var named = settings
        named.service = "edge_stoep"
        XCTAssertEqual(named.problems(swarmNetwork: "community", swarmConfigured: true), [])
    }
}
