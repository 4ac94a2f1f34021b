// The Docker provider as a whole: a DockerWatcher following the Engine API, and on every change the
// containers' labels built into one dynamic configuration (provider "docker") with its problems. The
// build is pure (`configuration(for:settings:)`) so the label rules are tested without a daemon.
import Config
import HTTPClient
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

    /// `options.endpoint` is `unix:///path` or `tcp://HOST:port` (the static configuration refuses others).
    /// Throws when the TLS context for a tcp:// endpoint cannot be built (unreadable CA file).
    public init(options: TraefikDockerProvider, loop: EventLoop, onUpdate: @escaping (Snapshot) -> Void) throws {
        self.options = options
        let settings = DockerProviderSettings(options)
        self.settings = settings
        watcher = DockerWatcher(endpoint: try Self.endpoint(options), loop: loop) { [settings] containers in
            onUpdate(Self.configuration(for: containers, settings: settings))
        }
    }

    /// Where and how the watcher reaches the Engine API.
    static func endpoint(_ options: TraefikDockerProvider) throws -> DockerWatcher.Endpoint {
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

    public func start() { watcher?.start() }

    public func stop() {
        watcher?.stop()
        watcher = nil
    }

    public var isSynchronised: Bool { watcher?.isSynchronised ?? false }

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
            if let config { parts.append((container.name, config)) }
        }
        let (merged, conflicts) = DockerConfigMerge.merge(parts)
        return Snapshot(config: merged, problems: problems + conflicts, containers: containers.count)
    }
}
