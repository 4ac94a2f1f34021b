import Foundation
import XCTest
@testable import Config

/// Traefik's flags and TRAEFIK_* variables as the same tree a traefik.toml gives (paerser's rules), and
/// the shared fixture's traefik.toml written as a compose `command:` decoding to the same configuration.
final class TraefikStaticArgumentsTests: XCTestCase {
    /// The fixture's traefik.toml (TraefikStaticConfigTests.fixtureCopy) as Traefik flags.
    static let fixtureFlags = [
        "--global.checknewversion=false", "--global.sendanonymoususage=false", "--log.level=INFO",
        "--accesslog.filepath=/var/log/traefik/access.log", "--metrics.prometheus.buckets=0.1,0.3,1.2,5.0",
        "--api.dashboard=true", "--providers.docker.endpoint=unix:///var/run/docker.sock",
        "--providers.docker.exposedbydefault=false", "--providers.docker.network=inethi-bridge-traefik",
        "--providers.file.directory=/etc/traefik/dynamic", "--providers.file.watch=true",
        "--entrypoints.web.address=:80", "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.web.http.redirections.entrypoint.scheme=https", "--entrypoints.websecure.address=:443",
        "--entrypoints.websecure.http.tls.certresolver=letsencrypt",
        "--entrypoints.websecure.http.tls.domains[0].main=inethilocal.net",
        "--entrypoints.websecure.http.tls.domains[0].sans=*.inethilocal.net",
        "--serverstransport.insecureskipverify=true", "--certificatesresolvers.letsencrypt.acme.email=admin@inethilocal.net",
        "--certificatesresolvers.letsencrypt.acme.storage=/letsencrypt/acme.json",
        "--certificatesresolvers.letsencrypt.acme.dnschallenge.provider=route53",
    ]

    func testParsesFlagShapes() {
        let cases: [([String], [(String, String)], UInt)] = [
            (["--entrypoints.web.address=:80"], [("entrypoints.web.address", ":80")], #line),
            (["--entrypoints.web.address", ":80"], [("entrypoints.web.address", ":80")], #line),
            (["-entrypoints.web.address=:80"], [("entrypoints.web.address", ":80")], #line),
            (["--providers.docker", "--api.insecure"], [("providers.docker", "true"), ("api.insecure", "true")], #line),
            (["--api.insecure", "--log.level=DEBUG"], [("api.insecure", "true"), ("log.level", "DEBUG")], #line),
            (["--entrypoints.web.forwardedheaders.trustedips=10.0.0.0/8,127.0.0.1"],
             [("entrypoints.web.forwardedheaders.trustedips", "10.0.0.0/8,127.0.0.1")], #line),
            (["--configFile=/etc/traefik/traefik.yml"], [("configFile", "/etc/traefik/traefik.yml")], #line),
            (["--a.b="], [("a.b", "")], #line),
        ]
        for (words, expected, line) in cases {
            let (entries, errors) = TraefikStaticArguments.parseFlags(words)
            XCTAssertEqual(errors, [], line: line)
            XCTAssertEqual(entries.map(\.key), expected.map(\.0), line: line)
            XCTAssertEqual(entries.map(\.value), expected.map(\.1), line: line)
        }
        XCTAssertEqual(TraefikStaticArguments.parseFlags(["--=x"]).1.count, 1)
        XCTAssertEqual(TraefikStaticArguments.parseFlags(["stray"]).1.count, 1)
    }

    func testRecognisesTraefikFlags() {
        for name in ["entrypoints.web.address=:80", "entryPoints.web.address", "providers.docker", "api", "ping", "accesslog",
                     "configFile=x", "configfile", "certificatesresolvers.le.acme.tlschallenge", "log.level=DEBUG",
                     "metrics.prometheus", "serversTransport.insecureSkipVerify=true"] {
            XCTAssertTrue(TraefikStaticArguments.isTraefikFlag(name), name)
        }
        for name in ["config", "log-level", "traefik-config", "stats-socket", "backend", "pilot.token", "apix"] {
            XCTAssertFalse(TraefikStaticArguments.isTraefikFlag(name), name)
        }
    }

    func testEnvironmentIsReadOnlyWithATopLevelKey() {
        XCTAssertEqual(TraefikStaticArguments.environmentEntries(["TRAEFIK_VERSION": "3", "HOME": "/root"]), [])
        let entries = TraefikStaticArguments.environmentEntries(["TRAEFIK_ENTRYPOINTS_WEB_ADDRESS": ":80", "TRAEFIK_API_INSECURE": "true",
                                                                 "HOME": "/root"])
        XCTAssertEqual(entries.map(\.key), ["api.insecure", "entrypoints.web.address"])
        XCTAssertEqual(entries.map(\.origin), ["env TRAEFIK_API_INSECURE", "env TRAEFIK_ENTRYPOINTS_WEB_ADDRESS"])
    }

    func testTreeMergesCaseInsensitivelyAndPresenceEnablesTables() {
        let (entries, _) = TraefikStaticArguments.parseFlags(["--providers.docker", "--Providers.Docker.ExposedByDefault=false",
                                                               "--entryPoints.web.address=:80", "--entrypoints.web.http.tls.domains[1].main=b",
                                                               "--entrypoints.web.http.tls.domains[0].main=a"])
        let (tree, errors) = TraefikStaticArguments.tree(entries)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(tree.keys, ["providers", "entryPoints"])
        guard case .table(let providers)? = tree["providers"]?.value, case .table(let docker)? = providers["docker"]?.value else {
            return XCTFail("providers.docker is not a table: \(tree)")
        }
        XCTAssertEqual(docker["ExposedByDefault"]?.value, .string("false"))
        XCTAssertEqual(docker.location.description, "flag --providers.docker")
        let (config, issues) = TraefikStaticConfig.decode(tree, unknownKeysAreErrors: true)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(config.providers.docker?.exposedByDefault, false)
        XCTAssertEqual(config.entryPoints.first?.tls?.domains.map(\.main), ["a", "b"])
    }

    func testProblemsNameTheFlag() {
        let (entries, _) = TraefikStaticArguments.parseFlags(["--entrypoints.web.address=:99999", "--providers.dockr.endpoint=x",
                                                               "--api", "--api.insecure=maybe", "--log.level=DEBUG", "--log.level=INFO"])
        let (tree, errors) = TraefikStaticArguments.tree(entries)
        XCTAssertEqual(errors, [])
        let (_, issues) = TraefikStaticConfig.decode(tree, unknownKeysAreErrors: true)
        XCTAssertEqual(issues.map(\.description), [
            "flag --entrypoints.web.address: error: entrypoints.web.address: expected \":port\", \"IPv4:port\" or \"[IPv6]:port\" with port 1-65535, optionally followed by /tcp or /udp (host names are not resolved), found \":99999\"",
            "flag --providers.dockr.endpoint: error: providers.dockr: unknown key 'dockr' (did you mean 'docker'?)",
            "flag --api.insecure: error: api.insecure: expected true or false, found \"maybe\"",
            "flag --log.level: error: log.level: expected a string, found an array",
        ])
        let (_, bad) = TraefikStaticArguments.tree(TraefikStaticArguments.parseFlags(["--entrypoints.web=x", "--entrypoints.web.address=:80"]).0)
        XCTAssertEqual(bad.map(\.description), ["flag --entrypoints.web.address: web is also given a value; it cannot hold options too"])
    }

    func testBooleanTablesAsTraefikReadsThem() {
        let cases: [([String], Bool, Bool, Bool, UInt)] = [
            // flags, ping on, docker on, tlsChallenge on
            (["--ping", "--providers.docker=true", "--certificatesresolvers.le.acme.tlschallenge=true"], true, true, true, #line),
            (["--ping=false", "--providers.docker=false", "--certificatesresolvers.le.acme.tlschallenge=false",
              "--certificatesresolvers.le.acme.storage=a.json"], false, false, false, #line),
            (["--ping.entrypoint=web", "--providers.docker.network=proxy", "--certificatesresolvers.le.acme.tlschallenge"], true, true, true, #line),
        ]
        for (flags, ping, docker, tlsChallenge, line) in cases {
            let (tree, _) = TraefikStaticArguments.tree(TraefikStaticArguments.parseFlags(flags).0)
            let (config, issues) = TraefikStaticConfig.decode(tree, unknownKeysAreErrors: true)
            XCTAssertEqual(issues.filter { $0.severity == .error }, [], line: line)
            XCTAssertEqual(config.ping != nil, ping, line: line)
            XCTAssertEqual(config.providers.docker != nil, docker, line: line)
            XCTAssertEqual(config.certificatesResolvers["le"]?.acme?.tlsChallenge ?? false, tlsChallenge, line: line)
        }
    }

    /// The fixture's traefik.toml, its compose `command:` form and its environment form decode alike.
    func testFixtureAsFlagsAndEnvironmentEqualsTheFile() {
        let (fileTree, fileErrors) = TOMLParser.parse(TraefikStaticConfigTests.fixtureCopy, file: "traefik.toml")
        XCTAssertEqual(fileErrors, [])
        let (fromFile, fileIssues) = TraefikStaticConfig.decode(fileTree)
        let (flagTree, flagErrors) = TraefikStaticArguments.tree(TraefikStaticArguments.parseFlags(Self.fixtureFlags).0)
        XCTAssertEqual(flagErrors, [])
        let (fromFlags, flagIssues) = TraefikStaticConfig.decode(flagTree, unknownKeysAreErrors: true)
        XCTAssertEqual(flagIssues.map(\.message), fileIssues.map(\.message))
        XCTAssertEqual(Self.withoutLocations(fromFlags), Self.withoutLocations(fromFile))

        var environment: [String: String] = ["PATH": "/bin"]
        for flag in Self.fixtureFlags {
            let (key, value) = (flag.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)[0],
                                String(flag.split(separator: "=", maxSplits: 1)[1]))
            let name = "TRAEFIK_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
                .replacingOccurrences(of: "[", with: "_").replacingOccurrences(of: "]", with: "")
            environment[name] = value
        }
        let (envTree, envErrors) = TraefikStaticArguments.tree(TraefikStaticArguments.environmentEntries(environment))
        XCTAssertEqual(envErrors, [])
        let (fromEnvironment, envIssues) = TraefikStaticConfig.decode(envTree, unknownKeysAreErrors: true)
        XCTAssertEqual(envIssues.map(\.message), fileIssues.map(\.message))
        XCTAssertEqual(Self.withoutLocations(fromEnvironment), Self.withoutLocations(fromFile))
    }

    static func withoutLocations(_ config: TraefikStaticConfig) -> TraefikStaticConfig {
        let nowhere = SourceLocation(file: "", line: 0, column: 0)
        var c = config
        c.entryPoints = c.entryPoints.map { var e = $0; e.location = nowhere; return e }
        c.serversTransport.location = nowhere
        c.certificatesResolvers = c.certificatesResolvers.mapValues { var r = $0; r.location = nowhere; return r }
        return c
    }
}
