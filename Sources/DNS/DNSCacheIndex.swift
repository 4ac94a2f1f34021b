// The cache's hash index: open addressing with linear probing over a power-of-two slot array.
// Each slot packs the key's 32-bit hash (high half) and entry index + 1 (low half; 0 = empty),
// so probing compares hashes without touching entries and growing needs no rehash of keys.
// Deletion shifts later members of the probe run back (no tombstones), so lookups stay short
// under the constant insert/evict churn of an LRU cache. Load stays at or below one half.

struct DNSCacheIndex {
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    static let initialSlots = 16

    /// Bytes of the slot array.
    var memory: Int { slots.capacity * MemoryLayout<UInt64>.stride }

    init() {
        slots = Array(repeating: 0, count: Self.initialSlots)
        mask = Self.initialSlots - 1
    }

    @inline(__always) private func home(_ hash: UInt32) -> Int { Int(hash) & mask }
    @inline(__always) private static func entry(_ slot: UInt64) -> Int32 { Int32(truncatingIfNeeded: slot) &- 1 }

    /// The entry with `hash` for which `isKey` is true, or nil.
    func find(hash: UInt32, isKey: (Int32) -> Bool) -> Int32? {
        var i = home(hash)
        while true {
            let slot = slots[i]
            if slot == 0 { return nil }
            if UInt32(truncatingIfNeeded: slot >> 32) == hash, isKey(Self.entry(slot)) { return Self.entry(slot) }
            i = (i + 1) & mask
        }
    }

    /// Adds `entry` under `hash`. The caller guarantees the key is not present.
    mutating func insert(_ entry: Int32, hash: UInt32) {
        if (count + 1) * 2 > slots.count { grow() }
        place(UInt64(hash) << 32 | UInt64(UInt32(bitPattern: entry &+ 1)))
        count += 1
    }

    /// Removes `entry` (stored under `hash`); does nothing when it is not there.
    mutating func remove(_ entry: Int32, hash: UInt32) {
        var hole = home(hash)
        while true {
            let slot = slots[hole]
            if slot == 0 { return }
            if Self.entry(slot) == entry { break }
            hole = (hole + 1) & mask
        }
        // Backward shift: a later slot of the run may fill the hole when the hole lies
        // cyclically between that slot's home and the slot itself.
        var j = hole
        while true {
            j = (j + 1) & mask
            let slot = slots[j]
            if slot == 0 { break }
            let k = home(UInt32(truncatingIfNeeded: slot >> 32))
            if (j - k) & mask >= (j - hole) & mask {
                slots[hole] = slot
                hole = j
            }
        }
        slots[hole] = 0
        count -= 1
    }

    private mutating func place(_ packed: UInt64) {
        var i = home(UInt32(truncatingIfNeeded: packed >> 32))
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = packed
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot != 0 { place(slot) }
    }
}
