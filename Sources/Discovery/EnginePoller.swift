// The poll loop of the Docker Engine API users that have no events to follow (Swarm has no service, task
// or node events: docker/docker#23827): a round of GETs every `refresh`, one request in flight at a time,
// a timer between rounds, a back-off after a failed round, and `stop` cancelling whichever of the request
// and the timer is pending. What a round asks and what it makes of the answers is the owner's
// (SwarmWatcher: the services and tasks; SwarmLeaderWatch: the leader); the loop is the same for both.
// Only GET is sent, with the engine's JSON as the answer: a read-only socket proxy is enough.
import HTTPClient
import JSON
import Reactor

public final class EnginePoller {
    /// Why a GET gave no JSON document; each owner words it for its log and `show info`.
    public enum Failure: Error, Equatable {
        /// An answer with another status than 200.
        case status(Int)
        /// A 200 answer whose body does not parse (the parser's reason).
        case notJSON(String)
        /// No complete answer (refused, reset, timed out: the client's reason).
        case unreachable(String)
    }

    public let endpoint: DockerWatcher.Endpoint
    /// Nanoseconds between two rounds (at least 1 ms: a zero interval would spin the loop).
    public let refresh: UInt64
    private let loop: EventLoop
    private var round: (() -> Void)?
    private var request: HTTPClientExchange?
    private var timer: Timer?
    private var stopped = false
    private var backoff = DockerWatcher.firstBackoff

    public init(endpoint: DockerWatcher.Endpoint, refresh: UInt64, loop: EventLoop) {
        self.endpoint = endpoint
        self.refresh = max(refresh, 1_000_000)
        self.loop = loop
    }

    /// Runs `round` now and again each time `roundDone` or `roundFailed` asks. The round is the owner's
    /// (it captures the owner unowned: the owner holds the poller).
    public func start(round: @escaping () -> Void) {
        stopped = false
        self.round = round
        round()
    }

    /// Cancels the request in flight (its completion never runs) and the timer; no round starts after.
    public func stop() {
        stopped = true
        request?.cancel()
        request = nil
        if let t = timer { loop.cancel(t) }
        timer = nil
    }

    /// One GET of `path` (path and query, already encoded): the parsed body of a 200 answer, else why not.
    /// The caller starts the next request only from `done` (one in flight).
    public func get(_ path: String, done: @escaping (Result<JSONValue, Failure>) -> Void) {
        let timeout = endpoint.requestTimeout > 0 ? endpoint.requestTimeout : DockerWatcher.defaultRequestTimeout
        request = HTTPClientExchange.start(loop: loop, to: [endpoint.address], tls: endpoint.tls,
                                           request: HTTPClientRequest(.get, target: path, host: "docker",
                                                                      headers: [("User-Agent", "stoep"), ("Accept", "application/json")]),
                                           timeout: timeout, body: .whole(limit: SwarmWatcher.maxBody)) { [unowned self] result in
            request = nil
            switch result {
            case .success(let answer) where answer.status == 200:
                do { done(.success(try JSONParser.parse(answer.body))) } catch { done(.failure(.notJSON("\(error)"))) }
            case .success(let answer): done(.failure(.status(answer.status)))
            case .failure(let error): done(.failure(.unreachable(error.reason)))
            }
        }
    }

    /// The round is over (an answer the owner took, or one it counts as a verdict): the next one in
    /// `refresh`, the back-off starting again from its first step. `again: false` ends the polling
    /// (a provider with `watch` off lists once).
    public func roundDone(again: Bool = true) {
        backoff = DockerWatcher.firstBackoff
        if again { schedule(after: refresh) }
    }

    /// The round failed: the next one after the back-off (0.2 s, doubling up to the refresh interval).
    public func roundFailed() {
        guard !stopped else { return }
        schedule(after: backoff)
        backoff = min(backoff * 2, max(refresh, DockerWatcher.firstBackoff))
    }

    private func schedule(after delay: UInt64) {
        guard !stopped, let round else { return }
        let t = Timer { [unowned self] _ in
            timer = nil
            round()
        }
        timer = t
        loop.schedule(t, after: delay)
    }
}
