// The heaviest keys of a stream in fixed memory: the Space-Saving algorithm (Metwally, Agrawal and El
// Abbadi, "Efficient computation of frequent and top-k elements in data streams", ICDT 2005). At most
// `capacity` keys are counted; a new key when the table is full takes the place of the one with the
// smallest count and starts from that count plus one, remembering it as its possible overestimate
// (`error`). Any key whose true count is above N / capacity is guaranteed to be in the table, and each
// count is at most `error` too high. A min-heap keeps the smallest at hand: O(log capacity) per update.
//
// Each entry carries a `Payload` (per-client counters, say) that starts fresh when the entry is reused.

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
    private var heap: [Entry] = []
    private var position: [Key: Int] = [:]
    /// Every update, counted or not: the stream's length.
    public private(set) var total: UInt64 = 0

    public init(capacity: Int, fresh: Payload) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.fresh = fresh
        heap.reserveCapacity(capacity)
        position.reserveCapacity(capacity)
    }

    public var count: Int { heap.count }

    /// Counts one occurrence of `key` and lets `update` change its payload. `copy` makes the key that is
    /// stored when the key is new (a name sliced from a packet is copied, so the packet is not kept).
    public mutating func add(_ key: Key, copy: (Key) -> Key = { $0 }, update: (inout Payload) -> Void = { _ in }) {
        total &+= 1
        if let i = position[key] {
            heap[i].count &+= 1
            update(&heap[i].payload)
            siftDown(i)
            return
        }
        var payload = fresh
        update(&payload)
        if heap.count < capacity {
            heap.append(Entry(key: copy(key), count: 1, error: 0, payload: payload))
            position[heap[heap.count - 1].key] = heap.count - 1
            siftUp(heap.count - 1)
            return
        }
        // Replace the smallest (the root).
        position[heap[0].key] = nil
        let inherited = heap[0].count
        heap[0] = Entry(key: copy(key), count: inherited &+ 1, error: inherited, payload: payload)
        position[heap[0].key] = 0
        siftDown(0)
    }

    /// Changes the payload of `key` when it is counted (an outcome known after the query was counted).
    public mutating func update(_ key: Key, _ body: (inout Payload) -> Void) {
        if let i = position[key] { body(&heap[i].payload) }
    }

    /// The `k` largest counts, largest first.
    public func top(_ k: Int) -> [Entry] {
        Array(heap.sorted { $0.count > $1.count }.prefix(k))
    }

    public mutating func removeAll() {
        heap.removeAll(keepingCapacity: true)
        position.removeAll(keepingCapacity: true)
        total = 0
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].count < heap[parent].count else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count && heap[l].count < heap[smallest].count { smallest = l }
            if r < heap.count && heap[r].count < heap[smallest].count { smallest = r }
            guard smallest != i else { return }
            swapAt(i, smallest)
            i = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        position[heap[a].key] = a
        position[heap[b].key] = b
    }
}
