import XCTest
@testable import Config

/// Traefik dynamic configurations written in YAML and in TOML must give the same tree (locations aside),
/// so everything downstream of parsing reads both formats identically.
final class YAMLTraefikEquivalenceTests: XCTestCase {
    static let routersYAML = #"""
    http:
      routers:
        dashboard:
          rule: "Host(`traefik.example.com`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))"
          entryPoints:
            - websecure
          service: api@internal
          middlewares:
            - auth
          tls:
            certResolver: le
        whoami:
          rule: Host(`whoami.example.com`)
          service: whoami
          priority: 10
      services:
        whoami:
          loadBalancer:
            passHostHeader: true
            servers:
              - url: "http://10.0.0.2:80/"
              - url: http://10.0.0.3:80/
            healthCheck:
              path: /health
              interval: "10s"
        weighted:
          weighted:
            services:
              - name: whoami
                weight: 3
              - name: other
                weight: 1
      middlewares:
        auth:
          basicAuth:
            users:
              - "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"
              - 'test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0'
        strip:
          stripPrefix:
            prefixes: ["/api", "/v1"]
            forceSlash: false
        https:
          redirectScheme:
            scheme: https
            permanent: true
    tcp:
      routers:
        db:
          rule: HostSNI(`*`)
          service: db
      services:
        db:
          loadBalancer:
            servers:
              - address: "10.0.0.9:5432"
    """#

    static let routersTOML = #"""
    [http.routers.dashboard]
      rule = "Host(`traefik.example.com`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))"
      entryPoints = ["websecure"]
      service = "api@internal"
      middlewares = ["auth"]
      [http.routers.dashboard.tls]
        certResolver = "le"
    [http.routers.whoami]
      rule = "Host(`whoami.example.com`)"
      service = "whoami"
      priority = 10

    [http.services.whoami.loadBalancer]
      passHostHeader = true
      [[http.services.whoami.loadBalancer.servers]]
        url = "http://10.0.0.2:80/"
      [[http.services.whoami.loadBalancer.servers]]
        url = "http://10.0.0.3:80/"
      [http.services.whoami.loadBalancer.healthCheck]
        path = "/health"
        interval = "10s"
    [[http.services.weighted.weighted.services]]
      name = "whoami"
      weight = 3
    [[http.services.weighted.weighted.services]]
      name = "other"
      weight = 1

    [http.middlewares.auth.basicAuth]
      users = [
        "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/",
        'test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0',
      ]
    [http.middlewares.strip.stripPrefix]
      prefixes = ["/api", "/v1"]
      forceSlash = false
    [http.middlewares.https.redirectScheme]
      scheme = "https"
      permanent = true

    [tcp.routers.db]
      rule = "HostSNI(`*`)"
      service = "db"
    [[tcp.services.db.loadBalancer.servers]]
      address = "10.0.0.9:5432"
    """#

    /// Shared blocks through anchors and merge keys, as Traefik users write them.
    static let anchorsYAML = #"""
    x-secure: &secure
      entryPoints: [websecure]
      tls: {certResolver: le}
    http:
      routers:
        a:
          <<: *secure
          rule: Host(`a.example`)
          service: a
        b:
          <<: *secure
          rule: Host(`b.example`)
          service: b
          entryPoints: [web]
      services:
        a:
          loadBalancer:
            servers: &servers
              - url: http://10.0.0.1/
              - url: http://10.0.0.2/
        b:
          loadBalancer:
            servers: *servers
    """#

    static let anchorsTOML = #"""
    [x-secure]
    entryPoints = ["websecure"]
    tls = { certResolver = "le" }
    [http.routers.a]
    entryPoints = ["websecure"]
    tls = { certResolver = "le" }
    rule = "Host(`a.example`)"
    service = "a"
    [http.routers.b]
    tls = { certResolver = "le" }
    rule = "Host(`b.example`)"
    service = "b"
    entryPoints = ["web"]
    [[http.services.a.loadBalancer.servers]]
    url = "http://10.0.0.1/"
    [[http.services.a.loadBalancer.servers]]
    url = "http://10.0.0.2/"
    [[http.services.b.loadBalancer.servers]]
    url = "http://10.0.0.1/"
    [[http.services.b.loadBalancer.servers]]
    url = "http://10.0.0.2/"
    """#

    /// The same configuration in YAML flow style (JSON-like), which is also valid YAML.
    static let flowYAML = #"""
    {"http": {"routers": {"r": {"rule": "PathPrefix(`/`)", "service": "s", "priority": -1}},
              "services": {"s": {"loadBalancer": {"servers": [{"url": "http://[::1]:8080"}],
                                                  "responseForwarding": {"flushInterval": "100ms"}}}}}}
    """#

    static let flowTOML = #"""
    http.routers.r = { rule = "PathPrefix(`/`)", service = "s", priority = -1 }
    [http.services.s.loadBalancer]
    servers = [{ url = "http://[::1]:8080" }]
    responseForwarding.flushInterval = "100ms"
    """#

    /// A key with no value is "present with defaults": `tls:` reads like an empty `[…tls]` table.
    static let nullYAML = #"""
    http:
      routers:
        r:
          rule: Host(`a.example`)
          service: s
          tls:
      services:
        s:
          loadBalancer:
            servers:
              - url: http://127.0.0.1:8080
    """#

    static let nullTOML = #"""
    [http.routers.r]
    rule = "Host(`a.example`)"
    service = "s"
    [http.routers.r.tls]
    [[http.services.s.loadBalancer.servers]]
    url = "http://127.0.0.1:8080"
    """#

    static let cases: [(name: String, yaml: String, toml: String)] = [
        ("routers", routersYAML, routersTOML),
        ("anchors", anchorsYAML, anchorsTOML),
        ("flow", flowYAML, flowTOML),
        ("null", nullYAML, nullTOML),
    ]

    func testYAMLAndTOMLGiveEqualTrees() {
        for (name, yaml, toml) in Self.cases {
            let (fromYAML, yamlErrors) = ConfigLoader.parseTree(text: yaml, file: "\(name).yaml")
            let (fromTOML, tomlErrors) = ConfigLoader.parseTree(text: toml, file: "\(name).toml")
            XCTAssertEqual(yamlErrors, [], name)
            XCTAssertEqual(tomlErrors, [], name)
            XCTAssertFalse(fromYAML.isEmpty, name)
            XCTAssertEqual(render(fromYAML), render(fromTOML), name)
            XCTAssertEqual(withoutLocations(fromYAML), withoutLocations(fromTOML), name)
        }
    }

    /// The Traefik decoder, fed both trees (locations removed), builds the same configuration and issues.
    func testTraefikDecodesBothFormatsAlike() {
        for (name, yaml, toml) in Self.cases {
            let fromYAML = withoutLocations(ConfigLoader.parseTree(text: yaml, file: "\(name).yaml").0)
            let fromTOML = withoutLocations(ConfigLoader.parseTree(text: toml, file: "\(name).toml").0)
            let (yamlConfig, yamlIssues) = TraefikDynamicConfig.decode(fromYAML, provider: "file")
            let (tomlConfig, tomlIssues) = TraefikDynamicConfig.decode(fromTOML, provider: "file")
            XCTAssertEqual(yamlConfig, tomlConfig, name)
            XCTAssertEqual(yamlIssues, tomlIssues, name)
            XCTAssertEqual(yamlIssues.filter { $0.severity == .error }, [], name)
            XCTAssertFalse(yamlConfig.httpRouters.isEmpty, name)
        }
        let (nullConfig, _) = TraefikDynamicConfig.decode(parseYAML(Self.nullYAML).0, provider: "file")
        XCTAssertNotNil(nullConfig.httpRouters["r@file"]?.tls)
    }

    func testLocationsPointIntoTheYAMLFile() throws {
        let (table, _) = ConfigLoader.parseTree(text: Self.routersYAML, file: "dyn.yml")
        guard case .table(let http)? = table["http"]?.value, case .table(let routers)? = http["routers"]?.value,
              case .table(let whoami)? = routers["whoami"]?.value else { return XCTFail("http.routers.whoami") }
        let rule = try XCTUnwrap(whoami["rule"])
        XCTAssertEqual(rule.location.description, "dyn.yml:13:13")
        XCTAssertEqual(whoami["priority"]?.location.description, "dyn.yml:15:17")
    }
}

/// The tree with every location replaced by one fixed location, for structural equality.
func withoutLocations(_ table: TOMLTable) -> TOMLTable {
    let nowhere = SourceLocation(file: "", line: 0, column: 0)
    var copy = TOMLTable(location: nowhere)
    for (key, node) in table.entries {
        copy.set(key, TOMLNode(value: withoutLocations(node.value), location: nowhere))
    }
    return copy
}

func withoutLocations(_ value: TOMLValue) -> TOMLValue {
    let nowhere = SourceLocation(file: "", line: 0, column: 0)
    switch value {
    case .array(let nodes): return .array(nodes.map { TOMLNode(value: withoutLocations($0.value), location: nowhere) })
    case .table(let table): return .table(withoutLocations(table))
    default: return value
    }
}
