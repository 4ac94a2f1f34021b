// After the hook set the TXT record: is it visible yet? The CA will look it up itself, and a record it
// cannot see fails the authorization (and counts against Let's Encrypt's failed-validation limit), so the
// solver says `ready` only once the recursive resolvers see it. lego's loop (challenge/dns01): sleep one
// polling interval, then check every interval until the propagation timeout passes (60 s and 2 s unless
// the provider's *_PROPAGATION_TIMEOUT / *_POLLING_INTERVAL say otherwise).
//
// Where stoep differs from lego: lego asks the zone's authoritative nameservers (found through the
// recursive ones) and, with `requireAllRNS`, the recursive ones too; stoep asks only the recursive
// resolvers — Traefik's `resolvers`, else /etc/resolv.conf's — one at a time with its own resolver code
// (DNSLookup), on the loop. One resolver seeing the value suffices; with `requireAllRNS`, each must.
import DNS
import Reactor

final class DNS01PropagationCheck {
    /// The record and where and how long to look.
    struct Plan {
        var fqdn: String
        var value: String
        var resolvers: [DNSServerAddress]
        var requireAll: Bool
        var timeout: UInt64
        var interval: UInt64
    }

    private let plan: Plan
    private let loop: EventLoop
    private var completion: ((String?) -> Void)?
    private var deadline: UInt64 = 0
    private var timer: Timer?
    private var lookups: [DNSLookup] = []
    /// What each resolver said in the round under way (nil: no answer yet).
    private var round: [String?] = []
    private var seen: [Bool] = []
    private(set) var rounds = 0
    /// When the round under way was due: rounds keep their cadence (first + n × interval) however late a
    /// timer fires or long the lookups take, and the last one may start at the deadline itself.
    private var due: UInt64 = 0

    init(_ plan: Plan, loop: EventLoop) {
        self.plan = plan
        self.loop = loop
    }

    /// Waits `delay` (delayBeforeCheck) and one polling interval, then checks every interval.
    /// `completion(nil)` once enough resolvers see the value; `completion(reason)` when the timeout
    /// passes first, the reason naming what each resolver returned last.
    func start(after delay: UInt64, completion: @escaping (String?) -> Void) {
        self.completion = completion
        due = loop.now &+ delay &+ plan.interval
        deadline = due &+ plan.timeout
        schedule(at: due)
    }

    func cancel() {
        completion = nil
        if let t = timer { loop.cancel(t) }
        timer = nil
        for l in lookups { l.cancel() }
        lookups = []
    }

    private func schedule(at time: UInt64) {
        let t = Timer { [weak self] _ in self?.check() }
        timer = t
        loop.schedule(t, at: time)
    }

    /// One round: every resolver asked at once, each alone (a lookup given several servers would stop at
    /// the first that answers).
    private func check() {
        guard completion != nil else { return }
        rounds += 1
        round = Array(repeating: nil, count: plan.resolvers.count)
        seen = Array(repeating: false, count: plan.resolvers.count)
        lookups = []
        for (i, resolver) in plan.resolvers.enumerated() {
            let lookup = DNSLookup.query(plan.fqdn, type: .txt, servers: [resolver], loop: loop) { [weak self] result in
                self?.answered(i, result)
            }
            if let lookup { lookups.append(lookup) }
        }
    }

    private func answered(_ i: Int, _ result: Result<DNSLookupResult, DNSLookupError>) {
        guard completion != nil else { return }
        switch result {
        case .success(let answer):
            let texts = answer.texts
            seen[i] = texts.contains(plan.value)
            if seen[i] {
                round[i] = "sees it"
            } else if answer.rcode != .noError {
                round[i] = "\(answer.rcode)"
            } else {
                round[i] = texts.isEmpty ? "no TXT record" : "TXT \(texts.map { "\"\($0)\"" }.joined(separator: ", "))"
            }
        case .failure(let error):
            round[i] = "\(error)"
        }
        let visible = plan.requireAll ? seen.allSatisfy { $0 } : seen.contains(true)
        if visible { return finish(nil) }
        guard round.allSatisfy({ $0 != nil }) else { return }  // wait for the others
        lookups = []
        let next = due &+ plan.interval
        if next > deadline {
            let said = zip(plan.resolvers, round).map { "\($0): \($1 ?? "?")" }.joined(separator: "; ")
            let need = plan.requireAll ? "every resolver" : "any resolver"
            return finish("the TXT record \(plan.fqdn) did not reach \(need) within \(plan.timeout / 1_000_000_000) s (\(said))")
        }
        due = next
        schedule(at: next)
    }

    private func finish(_ failure: String?) {
        guard let done = completion else { return }
        cancel()
        done(failure)
    }
}
