// The loop's provided-buffer ring (io_uring, kernel >= 5.19): buffers the kernel picks from when a
// multishot recv completes, so no connection owns a read buffer while it waits, and a request arrives in a
// completion without a recv(2) per request. One ring per loop, shared by every connection that receives
// through it (ReceiveQueue); a buffer goes back as soon as its bytes were copied out.
//
// Sizes: a buffer holds a small request whole (most request heads are < 1 KiB); the ring bounds the memory
// at `count * size` (resident once the kernel has cycled through them: the ring hands buffers out in order).
// When it runs dry, a multishot recv ends with -ENOBUFS and the bytes stay in the socket until buffers come
// back (ReceiveQueue re-arms).
import CStoep
import Glibc

final class ReceiveRing {
    /// Buffer group id: the one group this loop registers.
    static let group: UInt16 = 1
    /// Bytes per buffer.
    static let size = 2048
    /// Buffers in the ring (a power of two, as the kernel requires): 512 KiB in all.
    static let count = 256

    /// The ring's entries (16 bytes each, page-aligned as io_uring_register_buf_ring requires).
    private let entries: UnsafeMutableRawPointer
    /// The buffers, one block.
    private let memory: UnsafeMutableRawPointer
    /// Buffers the kernel holds now (given and not yet delivered back to us in a completion).
    private(set) var inKernel = 0

    /// Registers the ring with `ring`; throws with the kernel's answer (-EINVAL before 5.19).
    init(registeringWith ring: inout io_uring) throws(SystemError) {
        entries = .allocate(byteCount: Self.count * 16, alignment: Int(getpagesize()))
        memory = .allocate(byteCount: Self.count * Self.size, alignment: 64)
        memset(entries, 0, Self.count * 16)
        let r = stoep_buf_ring_register(&ring, entries, UInt32(Self.count), Self.group)
        if r < 0 {
            entries.deallocate()
            memory.deallocate()
            throw SystemError("io_uring_register_buf_ring", errno: Errno(rawValue: -r))
        }
        for id in 0..<Self.count { give(UInt16(id)) }
    }

    /// Frees the memory; the caller has torn the io_uring down first (the kernel reads the ring until then).
    func deallocate() {
        entries.deallocate()
        memory.deallocate()
    }

    /// The bytes of buffer `id`.
    @inline(__always)
    func bytes(_ id: UInt16) -> UnsafeMutableRawPointer { memory + Int(id) * Self.size }

    /// Gives buffer `id` back to the kernel.
    @inline(__always)
    func give(_ id: UInt16) {
        stoep_buf_ring_give(entries, bytes(id), UInt32(Self.size), id, UInt32(Self.count))
        inKernel += 1
    }

    /// A completion delivered buffer `id` to us.
    @inline(__always)
    func took() { inKernel -= 1 }
}
