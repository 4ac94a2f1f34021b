// Keeps an up-to-date picture of the running containers from the Docker Engine API, on the loop:
// 1. open the event stream (`GET /events`, type=container) first, so nothing that happens during the
//    listing is missed; 2. once it answers, list the running containers and inspect each one; 3. then
//    inspect a container again on each of its events (start, stop, die, kill, pause, unpause, restart,
//    rename, destroy, health_status). Any status but 200 on inspect means the container is gone. When the stream ends
//    or any request fails (the daemon restarted or went away), everything is dropped and the cycle starts
//    again after a backoff (0.2 s doubling to 5 s); the last known containers keep serving meanwhile and a
//    full resynchronisation replaces them. `onChange` receives the whole set after the first
//    synchronisation and after every change, a few milliseconds after the event that caused it.
// Each request is one HTTPClientExchange on the unix socket or the tcp:// endpoint, plain or TLS
// (`Connection: close`: the daemon going away shows as the connection ending). Only GET is ever sent, so
// stoep works behind a read-only Docker socket proxy (tecnativa/docker-socket-proxy with CONTAINERS=1 and
// EVENTS=1). The listing asks for all containers (`all=1`), as Traefik does, so that a stopped container
// labelled traefik.docker.allownonrunning keeps its routers. With `watch` off (Traefik's watch=false) the
// event stream is never opened: the containers are listed once — retried with the same backoff until that
// works — and never again.
import HTTPClient
import JSON
import Reactor

public final class DockerWatcher {
    public typealias ChangeHandler = ([DockerContainer]) -> Void

    static let eventActions: Set<String> = ["start", "stop", "die", "kill", "pause", "unpause", "restart", "rename", "destroy", "health_status"]
    static let eventsPath = "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
    /// Bound on a list or inspect request when httpClientTimeout is 0 (Traefik then has none; stoep keeps
    /// one so that a daemon that stops answering cannot stall the provider forever).
    static let defaultRequestTimeout: UInt64 = 10_000_000_000
    static let maxBody = 32 << 20
    static let firstBackoff: UInt64 = 200_000_000
    static let maxBackoff: UInt64 = 5_000_000_000
    /// Changes within this window are published together (a compose up starts many containers at once).
    static let coalesce: UInt64 = 10_000_000

    /// How the Engine API is reached: where, TLS or not, with what bound per request, watched or read once.
    public struct Endpoint {
        public var address: HTTPClientAddress
        public var tls: (context: TLSClientContext, serverName: String)?
        /// Nanoseconds; 0 = defaultRequestTimeout.
        public var requestTimeout: UInt64
        public var watch: Bool

        public init(address: HTTPClientAddress, tls: (context: TLSClientContext, serverName: String)? = nil, requestTimeout: UInt64 = 0, watch: Bool = true) {
            self.address = address
            self.tls = tls
            self.requestTimeout = requestTimeout
            self.watch = watch
        }
    }

    public let endpoint: Endpoint
    private var requestTimeout: UInt64 { endpoint.requestTimeout > 0 ? endpoint.requestTimeout : Self.defaultRequestTimeout }
    private let loop: EventLoop
    private let onChange: ChangeHandler
    private var containers: [String: DockerContainer] = [:]
    private var events: HTTPClientExchange?
    private var eventBuffer: [UInt8] = []
    private var listing: HTTPClientExchange?
    private var inspecting: HTTPClientExchange?
    private var queue: [String] = []
    private var syncing = true
    private var stopped = false
    private var backoff = firstBackoff
    private var retryTimer: Timer?
    private var publishTimer: Timer?
    /// Why the API is unreachable (nil while connected): logged once per outage.
    public private(set) var outage: String?
    /// Completed synchronisations (the first and every one after a reconnect).
    public private(set) var synchronisations = 0

    public init(endpoint: Endpoint, loop: EventLoop, onChange: @escaping ChangeHandler) {
        self.endpoint = endpoint
        self.loop = loop
        self.onChange = onChange
    }

    public func start() {
        stopped = false
        connect()
    }

    public func stop() {
        stopped = true
        reset()
        if let t = retryTimer { loop.cancel(t) }
        if let t = publishTimer { loop.cancel(t) }
    }

    public var isSynchronised: Bool { !syncing && outage == nil }

    // MARK: the cycle

    private func connect() {
        guard !stopped else { return }
        syncing = true
        eventBuffer = []
        guard endpoint.watch else { return eventsAnswered(200) }
        events = get(Self.eventsPath, timeout: nil,
                     body: .streamed(onHead: { [unowned self] status in self.eventsAnswered(status) },
                                     onBody: { [unowned self] bytes in self.eventBytes(bytes) })) { [unowned self] result in
            self.fail("event stream ended" + Self.reason(result))
        }
    }

    /// One GET on the socket; `completion` runs on the loop, not after the exchange was cancelled.
    private func get(_ path: String, timeout: UInt64?, body: HTTPClientBody,
                     _ completion: @escaping HTTPClientExchange.Completion) -> HTTPClientExchange {
        HTTPClientExchange.start(loop: loop, to: [endpoint.address], tls: endpoint.tls,
                                 request: HTTPClientRequest(.get, target: path, host: "docker",
                                                            headers: [("User-Agent", "stoep"), ("Accept", "application/json")]),
                                 timeout: timeout, body: body, completion: completion)
    }

    private func eventsAnswered(_ status: Int) {
        guard status == 200 else { return fail("GET /events answered \(status)") }
        listing = get("/containers/json?all=1", timeout: requestTimeout, body: .whole(limit: Self.maxBody)) { [unowned self] result in
            self.listed(result)
        }
    }

    private func listed(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        listing = nil
        guard case .success(let answer) = result, answer.status == 200 else { return fail("GET /containers/json failed" + Self.reason(result)) }
        let json: JSONValue
        do { json = try JSONParser.parse(answer.body) } catch { return fail("GET /containers/json: \(error)") }
        let ids = Self.listedContainerIDs(json)
        let live = Set(ids)
        containers = containers.filter { live.contains($0.key) }
        queue = []
        for id in ids { enqueue(id) }
        if queue.isEmpty && inspecting == nil { synchronised() }
    }

    private func enqueue(_ id: String) {
        if !queue.contains(id) { queue.append(id) }
        inspectNext()
    }

    private func inspectNext() {
        guard inspecting == nil, !queue.isEmpty else { return }
        let id = queue.removeFirst()
        inspecting = get("/containers/\(id)/json", timeout: requestTimeout, body: .whole(limit: Self.maxBody)) { [unowned self] result in
            self.inspected(id, result)
        }
    }

    private func inspected(_ id: String, _ result: Result<HTTPClientResponse, HTTPClientError>) {
        inspecting = nil
        switch result {
        case .success(let answer) where answer.status == 200:
            guard let json = try? JSONParser.parse(answer.body), let container = DockerContainer(inspect: json) else {
                return fail("GET /containers/\(id)/json: not a container document")
            }
            containers[id] = container
        case .success:
            // 404, or podman's 500 for a container being removed: the daemon cannot show it, so it is not
            // served; its next event brings it back.
            containers[id] = nil
        case .failure:
            return fail("GET /containers/\(id)/json failed" + Self.reason(result))
        }
        if queue.isEmpty {
            if syncing { synchronised() } else { schedulePublish() }
        } else {
            inspectNext()
        }
    }

    private func synchronised() {
        syncing = false
        synchronisations += 1
        backoff = Self.firstBackoff
        if let why = outage {
            loop.log.info("docker: \(endpoint.address) reachable again after \(why); resynchronised (\(containers.count) containers)")
        }
        outage = nil
        schedulePublish()
    }

    // MARK: events

    private func eventBytes(_ bytes: [UInt8]) {
        eventBuffer += bytes
        while let newline = eventBuffer.firstIndex(of: 10) {
            let line = Array(eventBuffer[..<newline])
            eventBuffer.removeFirst(newline + 1)
            if !line.isEmpty { event(line) }
        }
        if eventBuffer.count > 1 << 20 { fail("event stream line longer than 1 MB") }
    }

    private func event(_ line: [UInt8]) {
        if let id = Self.eventContainerID(line) { enqueue(id) }
    }

    /// The container an event line (one JSON object of the /events stream) asks to inspect again; nil for
    /// other events and for lines that are not JSON. Pure, so the fuzzer drives it (docs/fuzzing.md).
    public static func eventContainerID(_ line: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(line) else { return nil }
        let type = json["Type"]?.stringValue ?? "container"
        let action = json["Action"]?.stringValue ?? json["status"]?.stringValue ?? ""
        let verb = String(action.split(separator: ":").first ?? "")
        guard type == "container", eventActions.contains(verb),
              let id = json["Actor"]?["ID"]?.stringValue ?? json["id"]?.stringValue, isContainerID(id) else { return nil }
        return id
    }

    /// The container ids of a GET /containers/json answer, those fit for a request path only.
    public static func listedContainerIDs(_ json: JSONValue) -> [String] {
        (json.arrayValue ?? []).compactMap { $0["Id"]?.stringValue }.filter(isContainerID)
    }

    /// Ids go into a request path: only what Docker and podman make (hex digits), nothing that could
    /// change the path.
    public static func isContainerID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
    }

    // MARK: failure and publishing

    private static func reason(_ result: Result<HTTPClientResponse, HTTPClientError>) -> String {
        switch result {
        case .success(let answer): return " (status \(answer.status))"
        case .failure(let error): return ": \(error.reason)"
        }
    }

    private func fail(_ why: String) {
        reset()
        guard !stopped else { return }
        if outage == nil {
            loop.log.warning("docker: \(endpoint.address): \(why); keeping the last known containers, reconnecting")
            outage = why
        }
        let t = Timer { [unowned self] _ in self.connect() }
        retryTimer = t
        loop.schedule(t, after: backoff)
        backoff = min(backoff * 2, Self.maxBackoff)
    }

    private func reset() {
        events?.cancel()
        listing?.cancel()
        inspecting?.cancel()
        events = nil
        listing = nil
        inspecting = nil
        queue = []
        syncing = true
    }

    private func schedulePublish() {
        guard publishTimer == nil else { return }
        let t = Timer { [unowned self] _ in
            self.publishTimer = nil
            self.onChange(self.containers.values.sorted { $0.name < $1.name })
        }
        publishTimer = t
        loop.schedule(t, after: Self.coalesce)
    }
}
