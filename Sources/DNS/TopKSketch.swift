// The heaviest keys of a stream in fixed memory: the Space-Saving algorithm (Metwally, Agrawal and El
// Abbadi, "Efficient computation of frequent and top-k elements in data streams", ICDT 2005). At most
// `capacity` keys are counted; a new key when the table is full takes the place of the one with the
// smallest count and starts from that count plus one, remembering it as its possible overestimate
// (`error`). Any key whose true count is above N / capacity is guaranteed to be in the table, and each
// count is at most `error` too high. A min-heap keeps the smallest at hand: O(log capacity) per update.
//
// Each entry carries a `Payload` (per-client counters, say) that starts fresh when the entry is reused.
//
// Entries stay in the slot they were given; the heap orders slot numbers, and each entry knows its place
// in the heap. So a count going up moves small integers, and the key is hashed once per update (the
// lookup) — not twice per heap swap, as when the key-to-place table followed the heap (issue 18: DNS
// counts every answer here).

public struct TopKSketch<Key: Hashable, Payload> {
    public struct Entry {
        public var key: Key
        public var count: UInt64
        /// How much `count` may exceed the key's true count (the count it inherited).
        public var error: UInt64
        public var payload: Payload
    }

    public let capacity: Int
    private let fresh: Payload
    /// The counted keys, each in its slot for as long as it is counted.
    private var entries: [Entry] = []
    /// Each slot's place in `heap`.
    private var place: [Int] = []
    /// Slots, a min-heap by their entry's count.
    private var heap: [Int] = []
    /// Each counted key's slot.
    private var slot: [Key: Int] = [:]
    /// Every update, counted or not: the stream's length.
    public private(set) var total: UInt64 = 0

    public init(capacity: Int, fresh: Payload) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.fresh = fresh
        entries.reserveCapacity(capacity)
        place.reserveCapacity(capacity)
        heap.reserveCapacity(capacity)
        slot.reserveCapacity(capacity)
    }

    public var count: Int { entries.count }

    /// Counts one occurrence of `key` and lets `update` change its payload. `copy` makes the key that is
    /// stored when the key is new (a name sliced from a packet is copied, so the packet is not kept).
    public mutating func add(_ key: Key, copy: (Key) -> Key = { $0 }, update: (inout Payload) -> Void = { _ in }) {
        total &+= 1
        if let s = slot[key] {
            entries[s].count &+= 1
            update(&entries[s].payload)
            siftDown(place[s])
            return
        }
        var payload = fresh
        update(&payload)
        if entries.count < capacity {
            let s = entries.count
            entries.append(Entry(key: copy(key), count: 1, error: 0, payload: payload))
            slot[entries[s].key] = s
            place.append(heap.count)
            heap.append(s)
            siftUp(heap.count - 1)
            return
        }
        // Replace the smallest (the root).
        let s = heap[0]
        slot[entries[s].key] = nil
        let inherited = entries[s].count
        entries[s] = Entry(key: copy(key), count: inherited &+ 1, error: inherited, payload: payload)
        slot[entries[s].key] = s
        siftDown(0)
    }

    /// Changes the payload of `key` when it is counted (an outcome known after the query was counted).
    public mutating func update(_ key: Key, _ body: (inout Payload) -> Void) {
        if let s = slot[key] { body(&entries[s].payload) }
    }

    /// The `k` largest counts, largest first.
    public func top(_ k: Int) -> [Entry] {
        Array(entries.sorted { $0.count > $1.count }.prefix(k))
    }

    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        place.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        slot.removeAll(keepingCapacity: true)
        total = 0
    }

    @inline(__always)
    private func countAt(_ i: Int) -> UInt64 { entries[heap[i]].count }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard countAt(i) < countAt(parent) else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < n && countAt(l) < countAt(smallest) { smallest = l }
            if r < n && countAt(r) < countAt(smallest) { smallest = r }
            guard smallest != i else { return }
            swapAt(i, smallest)
            i = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        place[heap[a]] = a
        place[heap[b]] = b
    }
}
