// A growable byte buffer with a read index: what a connection has read but not yet consumed (a request
// head being assembled, the start of a body, a pipelined request). Compacts instead of shifting on
// every consume.
import Reactor

struct ByteBuffer {
    private(set) var storage: [UInt8] = []
    private(set) var readIndex = 0

    var count: Int { storage.count - readIndex }
    var isEmpty: Bool { count == 0 }

    /// Reads what `transport` has, up to `max` more bytes. Returns the IOResult of the read.
    mutating func read(from transport: Transport, max: Int = 16 * 1024) -> IOResult {
        if readIndex > 0 && readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 32 * 1024 {
            storage.removeFirst(readIndex)
            readIndex = 0
        }
        let old = storage.count
        storage.append(contentsOf: repeatElement(0, count: max))
        let r = storage.withUnsafeMutableBytes { transport.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
        if case .bytes(let n) = r {
            storage.removeLast(max - n)
        } else {
            storage.removeLast(max)
        }
        return r
    }

    mutating func consume(_ n: Int) {
        readIndex += min(n, count)
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 64 * 1024)
            readIndex = 0
        }
    }

    mutating func append(_ bytes: [UInt8]) { storage += bytes }

    /// The unread bytes.
    func withUnreadBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[readIndex...])) }
    }

    var unread: ArraySlice<UInt8> { storage[readIndex...] }

    /// Drops everything (the connection is handed to a relay, or closed).
    mutating func take() -> [UInt8] {
        let out = Array(unread)
        storage = []
        readIndex = 0
        return out
    }
}
