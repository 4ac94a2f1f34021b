// Traefik's weighted round robin (pkg/server/service/loadbalancer/wrr/wrr.go, v3.7.9): Earliest
// Deadline First. Each entry has a deadline; a pick takes the entry with the earliest deadline, sets the
// schedule's current deadline to it and moves the entry's deadline on by 1/weight. An entry that may not
// be picked now (down) still has its deadline moved on when it comes up, as Traefik's loop pops it, pushes
// it back and tries the next — so a server coming back does not get a burst of catch-up picks.
//
// Traefik keeps the entries in a heap and shuffles them when it builds the balancer, so entries with
// equal deadlines come out in an order that changes per start; here ties go to the entry declared first
// (the proportions over any full cycle are the same).

struct EarliestDeadlineSchedule {
    private var deadlines: [Double]
    private let steps: [Double]
    /// Entries with a positive weight, in declaration order (the only ones ever picked), and how many pops
    /// `next` may take: both fixed by the weights, so a pick allocates nothing (issue 18).
    private let candidates: [Int]
    private let popBound: Int

    /// `weights`: one per entry; an entry with a weight ≤ 0 is never picked (Traefik does not add it).
    init(weights: [Int]) {
        let steps = weights.map { $0 > 0 ? 1 / Double($0) : 0 }
        let candidates = steps.indices.filter { steps[$0] > 0 }
        self.steps = steps
        self.candidates = candidates
        deadlines = steps.map { $0 > 0 ? $0 : .infinity }
        // Each pop moves one deadline on by at most 1/minWeight; an allowed entry with weight ≥ 1 is due
        // within 1 + its step of the current deadline, so this many pops always reach one.
        let maxStep = candidates.map { steps[$0] }.max() ?? 1
        let minStep = candidates.map { steps[$0] }.min() ?? 1
        popBound = candidates.count * (Int((maxStep / minStep).rounded(.up)) + 2)
    }

    var count: Int { deadlines.count }

    /// The next entry for which `allowed` holds, or nil when no entry with a positive weight is allowed.
    /// Bounded: at most one lap over every entry's deadline moving past the chosen one.
    mutating func next(_ allowed: (Int) -> Bool) -> Int? {
        guard candidates.contains(where: allowed) else { return nil }
        // One entry: it is the pick (its deadline moves on as the loop below would move it).
        if candidates.count == 1 {
            let only = candidates[0]
            deadlines[only] += steps[only]
            return only
        }
        for _ in 0..<popBound {
            var best = candidates[0]
            for i in candidates where deadlines[i] < deadlines[best] { best = i }
            deadlines[best] += steps[best]
            if allowed(best) { return best }
        }
        return nil
    }
}
