// TLS client settings for HTTPS backends, by serversTransport: the static `serversTransport` is the
// default, dynamic `http.serversTransports.NAME` are chosen per service. One OpenSSL client context is
// made per distinct verification setting, and only when an HTTPS server needs it (OpenSSL stays
// uninitialised otherwise).
import Config
import Reactor

public final class ServersTransports {
    public struct Client {
        public let context: TLSClientContext
        /// serversTransport.serverName: SNI and verified name instead of the URL's host.
        public let serverName: String?
        /// serversTransport.disableHTTP2: ALPN offers http/1.1 only (otherwise h2 first, as Go's transport).
        public let disableHTTP2: Bool
    }

    private let defaultTransport: TraefikServersTransport?
    private let named: [String: TraefikServersTransport]
    private var contexts: [String: TLSClientContext] = [:]
    /// Lines for `show config-errors` (a root CA file that cannot be read…).
    public private(set) var problems: [String] = []
    private var reportedRoots: Set<String> = []

    public init(default defaultTransport: TraefikServersTransport? = nil, named: [String: TraefikServersTransport] = [:]) {
        self.defaultTransport = defaultTransport
        self.named = named
    }

    /// A service's transport settings (`name` qualified; nil = the static default, which may be absent).
    func settings(named name: String?) -> Result<TraefikServersTransport?, TLSError> {
        guard let name else { return .success(defaultTransport) }
        guard let found = named[name] else { return .failure(TLSError("serversTransport \(name) not found")) }
        return .success(found)
    }

    /// The client for a service's transport (`name` qualified; nil = the static default).
    func client(named name: String?) -> Result<Client, TLSError> {
        let t: TraefikServersTransport?
        switch settings(named: name) {
        case .success(let found): t = found
        case .failure(let e): return .failure(e)
        }
        let verify = !(t?.insecureSkipVerify ?? false)
        // Traefik takes several root CAs; OpenSSL loads one file here: the first, others reported.
        let roots = t?.rootCAs ?? []
        // Once per transport, not once per HTTPS server that uses it.
        if roots.count > 1, reportedRoots.insert(name ?? "").inserted {
            problems.append("serversTransport \(name ?? "(static)"): only the first of \(roots.count) rootCAs is used")
        }
        let key = "\(verify)|\(roots.first ?? "")"
        let noH2 = t?.disableHTTP2 ?? false
        if let c = contexts[key] { return .success(Client(context: c, serverName: t?.serverName, disableHTTP2: noH2)) }
        do {
            let c = try TLSClientContext(verify: verify, rootCAFile: roots.first)
            contexts[key] = c
            return .success(Client(context: c, serverName: t?.serverName, disableHTTP2: noH2))
        } catch {
            return .failure(error)
        }
    }
}
