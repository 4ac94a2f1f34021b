// A set of domain names for blocklists, built once and read on every forwarded query: a million names in
// about ten megabytes, where a `Set<DNSName>` needs well over a hundred (an array, a hash bucket and a
// heap object per name).
//
// Layout. Each name is kept as its *key*: the labels in reverse order, each with its length byte
// (`ads.example.com` → `\3com\7example\3ads`), lowercase. Reversing puts the names of one domain next to
// each other when sorted, and makes every parent domain a prefix of the key at a label boundary, so
// "is this name or one of its parents in the set" is a few exact lookups over prefixes of one key.
// The sorted keys are front-coded in blocks of `blockSize` (as in a sorted-string table): the first key
// of a block whole (`len, bytes`), each following one as `shared, suffixLen, suffix` against the one before.
// `blockStarts` holds where each block begins in `bytes`. A lookup binary-searches the blocks' first keys,
// then walks one block, rebuilding keys in a 255-byte scratch buffer. Nothing is allocated per lookup.

public struct BlockedNameSet: Sendable {
    /// Keys per front-coded block: 16 keeps the walk short (~8 keys on average) and the index small
    /// (4 bytes per 16 names).
    static let blockSize = 16

    private(set) var bytes: [UInt8] = []
    private(set) var blockStarts: [UInt32] = []
    public private(set) var count = 0

    public init() {}

    /// Heap bytes held (the two arrays' capacities), for the stats page and the benchmark.
    public var memoryBytes: Int { bytes.capacity + blockStarts.capacity * 4 }

    /// Appends `key`, which must sort strictly after the previous one (the builder sorts and de-duplicates).
    mutating func append(key: UnsafeRawBufferPointer, previous: UnsafeRawBufferPointer?) {
        if count % Self.blockSize == 0 || previous == nil {
            blockStarts.append(UInt32(bytes.count))
            bytes.append(UInt8(key.count))
            bytes.append(contentsOf: key)
        } else if let previous {
            var shared = 0
            let limit = min(previous.count, key.count)
            while shared < limit && previous[shared] == key[shared] { shared += 1 }
            bytes.append(UInt8(shared))
            bytes.append(UInt8(key.count - shared))
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: key[shared...]))
        }
        count += 1
    }

    /// Gives back the arrays' spare capacity once the set is complete.
    mutating func seal() {
        bytes = Array(bytes)
        blockStarts = Array(blockStarts)
    }

    /// True when `key` (a reversed-label key, see the top of the file) is in the set.
    public func contains(key: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return false }
        return bytes.withUnsafeBytes { storage in
            blockStarts.withUnsafeBufferPointer { starts in
                // The last block whose first key is <= key.
                var low = 0, high = starts.count - 1
                while low < high {
                    let mid = (low + high + 1) / 2
                    let at = Int(starts[mid])
                    let first = UnsafeRawBufferPointer(rebasing: storage[(at + 1)..<(at + 1 + Int(storage[at]))])
                    if BlockedNameSet.compare(first, key) <= 0 { low = mid } else { high = mid - 1 }
                }
                return withUnsafeTemporaryAllocation(byteCount: 256, alignment: 1) { scratch in
                    BlockedNameSet.scan(block: low, storage: storage, starts: starts, for: key, into: scratch)
                }
            }
        }
    }

    /// Walks one block in order, rebuilding each key, until `key` is found or passed.
    private static func scan(block: Int, storage: UnsafeRawBufferPointer, starts: UnsafeBufferPointer<UInt32>,
                             for key: UnsafeRawBufferPointer, into current: UnsafeMutableRawBufferPointer) -> Bool {
        var at = Int(starts[block])
        let end = block + 1 < starts.count ? Int(starts[block + 1]) : storage.count
        var length = Int(storage[at])
        current.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[(at + 1)..<(at + 1 + length)]))
        at += 1 + length
        while true {
            let order = compare(UnsafeRawBufferPointer(rebasing: current[0..<length]), key)
            if order == 0 { return true }
            if order > 0 || at >= end { return false }
            let shared = Int(storage[at]), suffix = Int(storage[at + 1])
            UnsafeMutableRawBufferPointer(rebasing: current[shared..<(shared + suffix)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[(at + 2)..<(at + 2 + suffix)]))
            length = shared + suffix
            at += 2 + suffix
        }
    }

    /// True when the name whose key is `key`, or a parent domain of it, is in the set (AdGuard's `||d^`).
    public func containsSelfOrParent(key: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return false }
        var boundary = 0
        while boundary < key.count {
            boundary += 1 + Int(key[boundary])
            if contains(key: UnsafeRawBufferPointer(rebasing: key[0..<min(boundary, key.count)])) { return true }
        }
        return false
    }

    /// Byte order, shorter first on a common prefix: memcmp's order, which the builder sorts by.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}

@_silgen_name("memcmp")
private func memcmp(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32

extension DNSName {
    /// Writes this name's blocklist key (labels reversed, each with its length byte, no root byte) into
    /// `out` (at least 255 bytes) and returns its length.
    func writeReversedKey(into out: UnsafeMutableRawBufferPointer) -> Int {
        wire.withUnsafeBytes { w in BlockedNameSet.reverseLabels(of: w, into: out) }
    }
}

extension BlockedNameSet {
    /// `wire` (length-prefixed labels, the root byte optional) with its labels in reverse order, into
    /// `out`; returns the key's length. Stops at a length byte that runs past the end.
    static func reverseLabels(of wire: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        var total = 0
        var i = 0
        while i < wire.count, wire[i] != 0, i + 1 + Int(wire[i]) <= wire.count { total = i + 1 + Int(wire[i]); i = total }
        // Copy each label to the mirrored position: a label at [s, e) of the name goes to [total - e, total - s).
        i = 0
        while i < total {
            let e = i + 1 + Int(wire[i])
            UnsafeMutableRawBufferPointer(rebasing: out[(total - e)..<(total - i)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: wire[i..<e]))
            i = e
        }
        return total
    }
}
