// `workers = N | "auto"` (stoep.toml, `--workers`, a board profile's [stoep] table): how many processes
// serve, each one single-threaded reactor on listeners shared with SO_REUSEPORT (docs/architecture.md,
// "Workers"). One is today's single process; "auto" is one per online CPU.

public enum WorkerCount: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case auto

    /// More would be a typo: a worker per CPU is the point, and no board stoep runs on has 64.
    public static let maximum = 64

    /// "auto", or a number from 1 to `maximum`; nil for anything else.
    public init?(_ text: String) {
        if text == "auto" { self = .auto; return }
        guard let n = Int(text), n >= 1, n <= WorkerCount.maximum else { return nil }
        self = .count(n)
    }

    /// The number of processes, given the online CPUs.
    public func resolved(onlineCPUs: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .auto: return max(1, min(onlineCPUs, WorkerCount.maximum))
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .auto: return "auto"
        }
    }
}
