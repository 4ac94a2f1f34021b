// The Docker provider as a whole: a DockerWatcher following the Engine API, and on every change the
// containers' labels built into one dynamic configuration (provider "docker") with its problems. The
// build is pure (`configuration(for:settings:)`) so the label rules are tested without a daemon.
// In Swarm mode (providers.swarm, provider "swarm"; v2's providers.docker.swarmMode) a SwarmWatcher polls
// the services and tasks instead, and the same build turns the tasks (SwarmServices) into configuration.
import Config
import HTTPClient
import JSON
import Reactor

public final class DockerProvider {
    public struct Snapshot: Sendable {
        public var config: TraefikDynamicConfig
        /// Containers or routers skipped, labels ignored: one line each, naming container and label.
        public var problems: [ContainerProblem]
        /// Running containers seen (served or not).
        public var containers: Int

        public init(config: TraefikDynamicConfig, problems: [ContainerProblem], containers: Int) {
            self.config = config
            self.problems = problems
            self.containers = containers
        }
    }

    /// The static configuration this provider was started with (a change restarts it).
    public let options: TraefikDockerProvider
    public let settings: DockerProviderSettings
    private var watcher: DockerWatcher?
    private var swarmWatcher: SwarmWatcher?

    /// `options.endpoint` is `unix:///path` or `tcp://HOST:port` (the static configuration refuses others).
    /// Throws when the TLS context for a tcp:// endpoint cannot be built (unreadable CA file).
    public init(options: TraefikDockerProvider, loop: EventLoop, onUpdate: @escaping (Snapshot) -> Void) throws {
        self.options = options
        let settings = DockerProviderSettings(options)
        self.settings = settings
        let endpoint = try Self.endpoint(options)
        if options.swarmMode {
            swarmWatcher = SwarmWatcher(endpoint: endpoint, refresh: UInt64(max(1, options.refreshSeconds.nanoseconds)),
                                        exposedByDefault: options.exposedByDefault, loop: loop) { [settings] tasks, problems in
                var snapshot = Self.configuration(for: tasks, settings: settings)
                snapshot.problems = Self.unique(problems + snapshot.problems)
                onUpdate(snapshot)
            }
        } else {
            watcher = DockerWatcher(endpoint: endpoint, loop: loop) { [settings] containers in
                onUpdate(Self.configuration(for: containers, settings: settings))
            }
        }
    }

    /// Where and how the watcher reaches the Engine API.
    public static func endpoint(_ options: TraefikDockerProvider) throws -> DockerWatcher.Endpoint {
        let timeout = UInt64(max(0, options.httpClientTimeout.nanoseconds))
        guard let (host, port) = options.tcpAddress else {
            return DockerWatcher.Endpoint(address: .unix(socketPath(options.endpoint)), requestTimeout: timeout, watch: options.watch)
        }
        // A host name is resolved here, once, when the provider starts (load time, like servers' URLs).
        guard let address = SocketAddress(host: host == "localhost" ? "127.0.0.1" : host, port: port)
                ?? SocketAddress.resolving(host: host, port: port) else {
            throw DockerEndpointError(message: "docker endpoint \(options.endpoint): cannot resolve \"\(host)\"")
        }
        var tls: (context: TLSClientContext, serverName: String)?
        if let t = options.tls {
            do {
                tls = (try TLSClientContext(verify: !t.insecureSkipVerify, rootCAFile: t.ca), host)
            } catch {
                throw DockerEndpointError(message: "docker endpoint \(options.endpoint): TLS: \(error)")
            }
        }
        return DockerWatcher.Endpoint(address: .ip(address), tls: tls, requestTimeout: timeout, watch: options.watch)
    }

    public struct DockerEndpointError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public func start() {
        watcher?.start()
        swarmWatcher?.start()
    }

    public func stop() {
        watcher?.stop()
        watcher = nil
        swarmWatcher?.stop()
        swarmWatcher = nil
    }

    /// In Swarm mode: called with every listing's raw networks, services and tasks (SwarmWatcher.onListing).
    public var onSwarmListing: ((_ networks: JSONValue, _ services: JSONValue, _ tasks: JSONValue) -> Void)? {
        get { swarmWatcher?.onListing }
        set { swarmWatcher?.onListing = newValue }
    }

    public var isSynchronised: Bool { watcher?.isSynchronised ?? swarmWatcher?.isSynchronised ?? false }

    /// Each problem once, in first-seen order (every task of a Swarm service reports the same lines).
    static func unique(_ problems: [ContainerProblem]) -> [ContainerProblem] {
        var seen = Set<ContainerProblem>()
        return problems.filter { seen.insert($0).inserted }
    }

    /// "unix:///var/run/docker.sock" → "/var/run/docker.sock"; a bare path is taken as it is.
    public static func socketPath(_ endpoint: String) -> String {
        endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
    }

    /// Every container's configuration, merged, with every problem found.
    public static func configuration(for containers: [DockerContainer], settings: DockerProviderSettings) -> Snapshot {
        let builder = ContainerConfigBuilder(settings: settings)
        var parts: [(container: String, config: TraefikDynamicConfig)] = []
        var problems: [ContainerProblem] = []
        for container in containers {
            let (config, found) = builder.build(container)
            problems += found
            // Merged in Traefik's order: by "<service name>-<id>" (its containerName) in Swarm mode, so
            // servers are listed as Traefik lists them.
            let key = settings.swarm ? DockerNames.serviceName(container) + "-" + container.id : container.name
            if let config { parts.append((key, config)) }
        }
        var (merged, conflicts) = DockerConfigMerge.merge(parts, provider: settings.providerName)
        if settings.swarm { conflicts = conflicts.map { var p = $0; p.subject = "swarm tasks"; return p } }
        let all = problems + conflicts
        return Snapshot(config: merged, problems: settings.swarm ? unique(all) : all, containers: containers.count)
    }
}
