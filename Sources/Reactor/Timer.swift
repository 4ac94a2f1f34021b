// Timers for connect, idle, handshake and drain deadlines: a binary min-heap of Timer objects that know
// their heap index, so cancelling or moving one is O(log n) and nothing stale piles up in the heap.
//
// Idle timeouts are not re-armed on every byte: an owner records its last activity and, when the timer
// fires early relative to that, schedules it again for the remainder.

/// A one-shot timer. The owner keeps it and cancels it before the owner goes away; `action` receives the
/// loop's current time in monotonic nanoseconds.
public final class Timer {
    public fileprivate(set) var deadline: UInt64 = 0
    fileprivate var index = -1
    let action: (UInt64) -> Void
    public init(_ action: @escaping (UInt64) -> Void) { self.action = action }
    public var isScheduled: Bool { index >= 0 }
}

struct TimerHeap {
    private var heap: [Timer] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var earliest: UInt64? { heap.first?.deadline }

    mutating func schedule(_ t: Timer, at deadline: UInt64) {
        if t.index >= 0 { remove(t) }
        t.deadline = deadline
        t.index = heap.count
        heap.append(t)
        siftUp(t.index)
    }

    mutating func remove(_ t: Timer) {
        let i = t.index
        guard i >= 0, i < heap.count, heap[i] === t else { return }
        let last = heap.count - 1
        if i != last { swapAt(i, last) }
        heap.removeLast()
        t.index = -1
        if i < heap.count {
            siftDown(i)
            siftUp(i)
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(_ now: UInt64) -> Timer? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        remove(first)
        return first
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        heap.swapAt(i, j)
        heap[i].index = i
        heap[j].index = j
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].deadline <= heap[i].deadline { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { return }
            swapAt(i, m)
            i = m
        }
    }
}
