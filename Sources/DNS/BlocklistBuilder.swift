// Building a Blocklist in pieces, so that a list of a million names never stops the loop: the loader
// (BlocklistLoader) feeds file bytes a slice per loop turn, then calls `step` a bounded amount of work per
// turn until the list is complete. Pure: no files, no clock.
//
// Phases: collecting (lines → keys appended to one byte buffer, `[kind][len][key]`), sorting (a bottom-up
// merge sort of the entries' offsets that can stop after any number of element moves and resume), encoding
// (the sorted keys, de-duplicated, front-coded into the four BlockedNameSets). Peak memory while building
// is about twice the finished set's plus 8 bytes per line; it is given back when the build ends.

public final class BlocklistBuilder {
    /// A line that was skipped, for the log.
    public struct Problem: Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var reason: String
        public var description: String { "\(file):\(line): \(reason), line skipped" }
    }

    enum Kind: UInt8 { case name = 0, domain, allowedName, allowedDomain }

    /// Problems kept per file (the rest are only counted).
    static let problemsKeptPerFile = 5

    public private(set) var problems: [Problem] = []
    public private(set) var skippedLines = 0
    public private(set) var lines = 0

    private var entries: [UInt8] = []
    private var starts: [UInt32] = []
    private var carry: [UInt8] = []
    private var file = ""
    private var allowlist = false
    private var lineNumber = 0
    private var problemsInFile = 0

    private enum Phase { case collecting, sorting, encoding, done }
    private var phase = Phase.collecting
    // Merge sort state: runs of `width` in `order` are merged pairwise into `spare`.
    private var order: [UInt32] = []
    private var spare: [UInt32] = []
    private var width = 1, runStart = 0, left = 0, right = 0, out = 0
    private var encoded = 0
    private var result = Blocklist()

    public init() {}

    /// Starts the lines of `path` (an allowlist when `allowlist`). Ends the previous file if needed.
    public func beginFile(_ path: String, allowlist: Bool) {
        endFile()
        file = path
        self.allowlist = allowlist
        lineNumber = 0
        problemsInFile = 0
    }

    /// Takes the next bytes of the current file; whole lines are parsed now, a partial last line is kept.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        var lineStart = 0
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
            if carry.isEmpty {
                take(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<i]))
            } else {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<i]))
                carry.withUnsafeBytes { take($0) }
                carry.removeAll(keepingCapacity: true)
            }
            lineStart = i + 1
        }
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[lineStart...]))
    }

    /// Ends the current file (its last line may lack a newline).
    public func endFile() {
        if !carry.isEmpty { carry.withUnsafeBytes { take($0) } }
        carry = []
    }

    private func take(_ line: UnsafeRawBufferPointer) {
        lineNumber += 1
        lines += 1
        switch BlocklistLine.parse(line) {
        case .comment: return
        case .names(let ranges):
            for r in ranges { add(allowlist ? .allowedName : .name, UnsafeRawBufferPointer(rebasing: line[r])) }
        case .domain(let r): add(allowlist ? .allowedDomain : .domain, UnsafeRawBufferPointer(rebasing: line[r]))
        case .exceptDomain(let r): add(.allowedDomain, UnsafeRawBufferPointer(rebasing: line[r]))
        case .unsupported(let reason): skip(reason)
        }
    }

    private func skip(_ reason: String) {
        skippedLines += 1
        problemsInFile += 1
        if problemsInFile <= Self.problemsKeptPerFile { problems.append(Problem(file: file, line: lineNumber, reason: reason)) }
    }

    /// Appends `[kind][len][reversed labels]` for the name in `text`, or records why it is not a name.
    private func add(_ kind: Kind, _ text: UnsafeRawBufferPointer) {
        var end = text.count
        if end > 0, text[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard end > 0, end < DNSName.maxWireLength - 1 else { return skip("not a domain name") }
        // Labels from the last to the first (the key's order), checked as DNSName(text:) checks them; the
        // entry is written as it goes and taken back if the name turns out invalid.
        let entryStart = entries.count
        entries.append(kind.rawValue)
        entries.append(UInt8(end + 1))  // labels' length bytes replace the dots, plus the first one
        var labelEnd = end
        var i = end - 1
        while true {
            if i < 0 || text[i] == UInt8(ascii: ".") {
                let length = labelEnd - (i + 1)
                guard length > 0, length <= DNSName.maxLabelLength else {
                    entries.removeSubrange(entryStart...)
                    return skip("not a domain name (label length)")
                }
                entries.append(UInt8(length))
                for k in (i + 1)..<labelEnd {
                    let byte = text[k]
                    guard byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "/"), byte != UInt8(ascii: "\\") else {
                        entries.removeSubrange(entryStart...)
                        return skip("not a domain name (character)")
                    }
                    entries.append(DNSName.lowercase(byte))
                }
                if i < 0 { break }
                labelEnd = i
            }
            i -= 1
        }
        starts.append(UInt32(entryStart))
    }

    // MARK: finishing in steps

    /// Does about `budget` units of work (element moves while sorting, keys while encoding) and returns the
    /// finished Blocklist when done; nil while more steps are needed. Call after the last `endFile`.
    public func step(budget: Int) -> Blocklist? {
        var remaining = budget
        if phase == .collecting {
            endFile()
            order = Array(starts)
            starts = []
            spare = [UInt32](repeating: 0, count: order.count)
            phase = .sorting
            startMerge()
        }
        if phase == .sorting {
            entries.withUnsafeBytes { e in sortSome(&remaining, e) }
            if phase == .sorting { return nil }
        }
        if phase == .encoding {
            entries.withUnsafeBytes { e in encodeSome(&remaining, e) }
            if phase == .encoding { return nil }
        }
        return result
    }

    private func startMerge() {
        runStart = 0
        beginRun()
    }

    private func beginRun() {
        left = runStart
        right = min(runStart + width, order.count)
        out = runStart
    }

    /// Merges runs of `width` pairwise from `order` into `spare`, resumably; at the end of a pass the two
    /// arrays trade places and the width doubles, until one run covers everything.
    private func sortSome(_ remaining: inout Int, _ e: UnsafeRawBufferPointer) {
        let n = order.count
        while phase == .sorting && remaining > 0 {
            if width >= n {
                phase = .encoding
                spare = []
                return
            }
            var passDone = false
            // The cursors live in locals in the hot loop (no class-property access per element).
            var (l, r, o, run, budget) = (left, right, out, runStart, remaining)
            let w = width
            order.withUnsafeBufferPointer { src in
                spare.withUnsafeMutableBufferPointer { dst in
                    while budget > 0 {
                        let mid = min(run + w, n), hi = min(run + 2 * w, n)
                        if o < hi {
                            if l < mid && (r >= hi || Self.compare(e, src[l], src[r]) <= 0) {
                                dst[o] = src[l]; l += 1
                            } else {
                                dst[o] = src[r]; r += 1
                            }
                            o += 1
                            budget -= 1
                            continue
                        }
                        run += 2 * w
                        if run >= n { passDone = true; return }
                        (l, r, o) = (run, min(run + w, n), run)
                    }
                }
            }
            (left, right, out, runStart, remaining) = (l, r, o, run, budget)
            if passDone {
                swap(&order, &spare)
                width *= 2
                runStart = 0
                beginRun()
            }
        }
    }

    /// Appends sorted keys to their sets, skipping duplicates.
    private func encodeSome(_ remaining: inout Int, _ e: UnsafeRawBufferPointer) {
        while remaining > 0 && encoded < order.count {
            let at = Int(order[encoded])
            let previous: UnsafeRawBufferPointer? = encoded > 0 ? Self.entry(e, Int(order[encoded - 1])) : nil
            let key = Self.entry(e, at)
            let kind = Kind(rawValue: e[at])!
            let sameKind = encoded > 0 && e[Int(order[encoded - 1])] == e[at]
            encoded += 1
            remaining -= 1
            if sameKind, let previous, BlockedNameSet.compare(previous, key) == 0 { continue }
            let before = sameKind ? previous : nil
            switch kind {
            case .name: result.names.append(key: key, previous: before)
            case .domain: result.domains.append(key: key, previous: before)
            case .allowedName: result.allowedNames.append(key: key, previous: before)
            case .allowedDomain: result.allowedDomains.append(key: key, previous: before)
            }
        }
        if encoded >= order.count {
            result.names.seal(); result.domains.seal(); result.allowedNames.seal(); result.allowedDomains.seal()
            entries = []
            order = []
            phase = .done
        }
    }

    @inline(__always) private static func entry(_ e: UnsafeRawBufferPointer, _ at: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: e[(at + 2)..<(at + 2 + Int(e[at + 1]))])
    }

    /// Kind first, then the key in BlockedNameSet's order.
    @inline(__always) private static func compare(_ e: UnsafeRawBufferPointer, _ a: UInt32, _ b: UInt32) -> Int {
        let x = Int(a), y = Int(b)
        if e[x] != e[y] { return Int(e[x]) - Int(e[y]) }
        return BlockedNameSet.compare(entry(e, x), entry(e, y))
    }
}
