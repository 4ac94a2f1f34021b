// The Docker provider as a whole: a DockerWatcher following the Engine API, and on every change the
// containers' labels built into one dynamic configuration (provider "docker") with its problems. The
// build is pure (`configuration(for:settings:)`) so the label rules are tested without a daemon.
import Config
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

    public let endpoint: String
    public let settings: DockerProviderSettings
    private var watcher: DockerWatcher?

    /// `endpoint` must be `unix:///path` (the static configuration refuses others).
    public init(endpoint: String, settings: DockerProviderSettings, loop: EventLoop, onUpdate: @escaping (Snapshot) -> Void) {
        self.endpoint = endpoint
        self.settings = settings
        watcher = DockerWatcher(socketPath: Self.socketPath(endpoint), loop: loop) { [settings] containers in
            onUpdate(Self.configuration(for: containers, settings: settings))
        }
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
