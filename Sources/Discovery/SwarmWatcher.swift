// Keeps the Swarm provider's picture of the services and their running tasks, on the loop. Swarm has no
// service or task events (docker/docker#23827), so like Traefik it polls: every `refresh` (providers.swarm
// refreshSeconds, 15 s by default) three GETs one after the other — GET /networks (scope swarm), GET
// /services, GET /tasks (desired-state running: one request for every service's tasks, where Traefik
// asks once per service) — then SwarmServices turns them into DockerContainer values. `onChange` runs
// after the first listing and then only when the picture changed. A failed request (the manager went
// away, a worker's socket proxy restarted) keeps the last picture and retries with a backoff (0.2 s
// doubling to the refresh interval), logged once per outage; with `watch` off the services are listed
// once — retried the same way until it works — and never again, as Traefik's watch=false. Only GET is
// sent: a read-only socket proxy with SERVICES=1, TASKS=1 and NETWORKS=1 is enough.
import HTTPClient
import JSON
import Reactor

public final class SwarmWatcher {
    public typealias ChangeHandler = ([DockerContainer], [ContainerProblem]) -> Void

    static let networksPath = "/networks?filters=%7B%22scope%22%3A%5B%22swarm%22%5D%7D"
    static let servicesPath = "/services"
    static let tasksPath = "/tasks?filters=%7B%22desired-state%22%3A%5B%22running%22%5D%7D"
    static let maxBody = 32 << 20

    public var endpoint: DockerWatcher.Endpoint { poller.endpoint }
    /// Nanoseconds between two listings.
    public var refresh: UInt64 { poller.refresh }
    private let exposedByDefault: Bool
    private let loop: EventLoop
    private let onChange: ChangeHandler
    private let poller: EnginePoller
    private var answers: [JSONValue] = []
    private var stopped = false
    private var last: ([DockerContainer], [ContainerProblem])?
    /// Why the API is unreachable (nil while it answers): logged once per outage.
    public private(set) var outage: String?
    /// Completed listings.
    public private(set) var listings = 0
    /// Called after every completed listing with the raw GET /networks, /services and /tasks answers, changed or
    /// not: the cluster channel finds its peers (the running tasks of stoep's own service) in them
    /// without a request of its own (docs/cluster.md). The provider's behaviour does not depend on it.
    public var onListing: ((_ networks: JSONValue, _ services: JSONValue, _ tasks: JSONValue) -> Void)?

    public init(endpoint: DockerWatcher.Endpoint, refresh: UInt64, exposedByDefault: Bool, loop: EventLoop, onChange: @escaping ChangeHandler) {
        self.poller = EnginePoller(endpoint: endpoint, refresh: refresh, loop: loop)
        self.exposedByDefault = exposedByDefault
        self.loop = loop
        self.onChange = onChange
    }

    public func start() {
        stopped = false
        poller.start { [unowned self] in poll() }
    }

    public func stop() {
        stopped = true
        poller.stop()
    }

    public var isSynchronised: Bool { listings > 0 && outage == nil }

    private func poll() {
        answers = []
        next()
    }

    /// The next of the three GETs, or the result once all three answered.
    private func next() {
        let paths = [Self.networksPath, Self.servicesPath, Self.tasksPath]
        guard answers.count < paths.count else { return listed() }
        let path = paths[answers.count]
        let name = path.split(separator: "?").first ?? ""
        poller.get(path) { [unowned self] result in
            switch result {
            case .success(let document):
                answers.append(document)
                next()
            case .failure(.status(let status)): fail("GET \(name) failed (status \(status))")
            case .failure(.unreachable(let reason)): fail("GET \(name) failed: \(reason)")
            case .failure(.notJSON(let why)): fail("GET \(name): \(why)")
            }
        }
    }

    private func listed() {
        let found = SwarmServices.containers(networks: answers[0], services: answers[1], tasks: answers[2], exposedByDefault: exposedByDefault)
        onListing?(answers[0], answers[1], answers[2])
        answers = []
        listings += 1
        if let why = outage {
            loop.log.info("swarm: \(endpoint.address) reachable again after \(why)")
            outage = nil
        }
        let sorted = (found.0.sorted { $0.name < $1.name }, found.1)
        if last == nil || last!.0 != sorted.0 || last!.1 != sorted.1 {
            last = sorted
            onChange(sorted.0, sorted.1)
        }
        // With `watch` off the services are listed once (Traefik's watch=false).
        poller.roundDone(again: endpoint.watch)
    }

    private func fail(_ why: String) {
        answers = []
        guard !stopped else { return }
        if outage == nil {
            loop.log.warning("swarm: \(endpoint.address): \(why); keeping the last known services, retrying")
            outage = why
        }
        poller.roundFailed()
    }
}
