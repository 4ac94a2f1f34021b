import Config
@testable import Proxy
import XCTest

final class UDPRouteTableTests: XCTestCase {
    let here = SourceLocation(file: "dyn.toml", line: 1, column: 1)

    func config() -> TraefikDynamicConfig {
        var c = TraefikDynamicConfig(provider: "file")
        c.udpServices["a@file"] = TraefikUDPService(name: "a@file", kind: .loadBalancer(servers: ["127.0.0.1:1"]), location: here)
        c.udpServices["b@file"] = TraefikUDPService(name: "b@file", kind: .loadBalancer(servers: ["127.0.0.1:2", "127.0.0.1:3"]), location: here)
        c.udpServices["w@file"] = TraefikUDPService(name: "w@file", kind: .weighted([TraefikUDPWeightedService(name: "a@file", weight: 1),
                                                                                     TraefikUDPWeightedService(name: "b@file", weight: 3)]), location: here)
        c.udpServices["broken@file"] = TraefikUDPService(name: "broken@file", kind: .weighted([TraefikUDPWeightedService(name: "gone@file")]), location: here)
        return c
    }

    func testOneRouterPerEntryPointTheLastByName() {
        var c = config()
        c.udpRouters["r1@file"] = TraefikUDPRouter(name: "r1@file", entryPoints: ["dns"], service: "a@file", location: here)
        c.udpRouters["r2@file"] = TraefikUDPRouter(name: "r2@file", entryPoints: ["dns"], service: "b@file", location: here)
        c.udpRouters["r3@file"] = TraefikUDPRouter(name: "r3@file", entryPoints: ["dns"], service: "broken@file", location: here)
        c.udpRouters["all@file"] = TraefikUDPRouter(name: "all@file", service: "w@file", location: here)
        c.udpRouters["lost@file"] = TraefikUDPRouter(name: "lost@file", entryPoints: ["web"], service: "a@file", location: here)
        let (table, problems) = UDPRouteTableBuilder.build([c], entryPointNames: ["dns", "game"])
        // r3 sorts last but cannot be built: r2 serves, as Traefik keeps the first handler that builds.
        XCTAssertEqual(table.routes["dns"]?.router, "r2@file")
        XCTAssertEqual(table.routes["game"]?.router, "all@file")
        XCTAssertTrue(problems.contains { $0.contains("lost@file: entry point web does not exist") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("UDP entry point dns: more than one UDP router") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("service gone@file not found") }, "\(problems)")
    }

    func testInterleavedWeightedRoundRobin() {
        var c = config()
        c.udpRouters["r@file"] = TraefikUDPRouter(name: "r@file", service: "w@file", location: here)
        let (table, _) = UDPRouteTableBuilder.build([c], entryPointNames: ["dns"])
        let service = table.routes["dns"]!.service
        let picks = (0..<8).map { _ in service.next()!.configured }
        // Weight 1 for a, 3 for b (whose own two servers alternate): 2 of 8 new sessions to a.
        XCTAssertEqual(picks.filter { $0 == "127.0.0.1:1" }.count, 2, "\(picks)")
        XCTAssertEqual(picks.filter { $0 == "127.0.0.1:2" }.count, 3, "\(picks)")
        XCTAssertEqual(picks.filter { $0 == "127.0.0.1:3" }.count, 3, "\(picks)")
    }

    func testNoServerNoSession() {
        let empty = UDPService(name: "e", members: [])
        XCTAssertNil(empty.next())
    }
}
