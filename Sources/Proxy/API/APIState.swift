// What Traefik's API reports, built once per configuration change from the dynamic configuration and the
// route tables built from it (Traefik's "runtime configuration", pkg/config/runtime): every router, service
// and middleware with its status ("enabled", "warning", "disabled"), the errors that made it so, and who
// uses what. Server health is read live from the installed table when a request asks.
import Config

/// One entry point as `/api/entrypoints` shows it.
public struct APIEntryPoint: Sendable {
    public var name: String
    public var address: String
    public var readTimeout: UInt64
    public var idleTimeout: UInt64
    public var trustedIPs: [String]
    public var insecure: Bool
    /// `http2.maxConcurrentStreams` as configured (0: left out, as Traefik's omitempty field).
    public var maxConcurrentStreams: UInt32
    /// `udp.timeout` (Traefik shows it on every entry point; 3 s unless set).
    public var udpTimeout: UInt64 = 3_000_000_000

    public init(name: String, address: String, readTimeout: UInt64, idleTimeout: UInt64, trustedIPs: [String], insecure: Bool,
                maxConcurrentStreams: UInt32 = 250) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.name = name
        self.address = address
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.trustedIPs = trustedIPs
        self.insecure = insecure
    }
}

/// The static facts the API reports beside the dynamic configuration.
public struct APIStaticFacts: Sendable {
    public var entryPoints: [APIEntryPoint] = []
    /// UDP entry points (listed with the others; routers' default entry points are only the TCP ones).
    public var udpEntryPoints: [APIEntryPoint] = []
    /// "File", "Docker" (as Traefik names them in /api/overview).
    public var providers: [String] = []
    public var api: TraefikAPI?
    public var prometheus: TraefikPrometheus?
    public var ping: TraefikPing?
    /// The certificate resolvers' httpChallenge entry points (Traefik lists its acme-http router there).
    public var acmeHTTPEntryPoints: [String] = []
    public var accessLog = false
    /// RFC 3339, UTC.
    public var startDate = ""
    public var version = "3.7.0-stoep"

    public init() {}
}

struct APIRouter {
    var name: String
    var provider: String
    var entryPoints: [String]
    var middlewares: [String]
    var service: String
    var rule: String
    var ruleSyntax: String?
    var priority: Int64
    var tls: TraefikRouterTLS?
    var errors: [String]
    var status: String
    var using: [String]
    var isTCP = false
    /// Where it was defined: "dynamic.yml:12" or "docker container web" (the dashboard shows it).
    var origin = ""
}

struct APIService {
    enum Kind {
        case internalService
        case loadBalancer(TraefikLoadBalancer)
        case weighted([TraefikWeightedService])
        case failover(TraefikFailover)
        case mirroring(TraefikMirroring)
        case highestRandomWeight([TraefikWeightedService])
        case tcp(TraefikTCPService)
    }
    var name: String
    var provider: String
    var kind: Kind
    var status: String
    var errors: [String]
    var usedBy: [String]
}

struct APIMiddleware {
    var name: String
    var provider: String
    /// nil for Traefik's own internal middlewares (rendered from `internalConfig`).
    var kind: TraefikMiddleware.Kind?
    var internalConfig: (type: String, json: String)?
    var status: String
    var errors: [String]
    var usedBy: [String]
}

/// The runtime view the API handler serves; immutable, replaced on every configuration change.
public struct APIState {
    var httpRouters: [APIRouter] = []
    var tcpRouters: [APIRouter] = []
    var httpServices: [APIService] = []
    var tcpServices: [APIService] = []
    var httpMiddlewares: [APIMiddleware] = []
    var tcpMiddlewares: [APIMiddleware] = []
    var udpRouters: [APIUDPRouter] = []
    var udpServices: [APIUDPService] = []
    public internal(set) var facts: APIStaticFacts
    /// Installed services by qualified service name (server health, read live).
    let servedServices: [String: HTTPService]

    public static var empty: APIState { APIState(facts: APIStaticFacts(), servedServices: [:]) }

    init(facts: APIStaticFacts, servedServices: [String: HTTPService]) {
        self.facts = facts
        self.servedServices = servedServices
    }
}

/// A message from a table builder's problem line "LOCATION: router NAME: MESSAGE" (or "service NAME",
/// "TCP router NAME"…): the builders report in text, and the API needs it per entry.
enum ProblemLines {
    /// The messages of `lines` about the entry `kind name` ("router", "web@file").
    static func messages(_ lines: [String], kind: String, name: String) -> [String] {
        let marker = Array(": \(kind) \(name): ".utf8)
        return lines.compactMap { line in
            let bytes = Array(line.utf8)
            guard let end = after(marker, in: bytes) else { return nil }
            var message = String(decoding: bytes[end...], as: UTF8.self)
            if message.hasSuffix("; skipped") { message.removeLast("; skipped".count) }
            return message
        }
    }

    /// The index just past the first occurrence of `needle` in `haystack`.
    static func after(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
        }
        return nil
    }
}
