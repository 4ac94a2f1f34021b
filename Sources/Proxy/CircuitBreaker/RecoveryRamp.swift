// The share of requests a recovering breaker lets through, as oxy's cbreaker ratioController ramps it: the
// target grows linearly from 0 to 0.5 over the recovery duration, and a request passes when letting it
// through keeps the passed share below the target.

struct RecoveryRamp {
    let start: UInt64
    let duration: UInt64
    private var allowed = 0
    private var denied = 0

    init(start: UInt64, duration: UInt64) {
        self.start = start
        self.duration = duration
    }

    mutating func allowRequest(now: UInt64) -> Bool {
        let target = 0.5 / Double(duration) * Double(now &- start)
        let share = Double(allowed + 1) / Double(allowed + 1 + denied)
        if share < target {
            allowed += 1
            return true
        }
        denied += 1
        return false
    }
}
