// The 64-bit token carried through the kernel (epoll_event.data, io_uring user_data) for every watch.
//
//   bits 63..56  kind      0 = internal (completion to ignore), 1 = descriptor watch, 2 = listener,
//                          3 = removal of the watch with the same slot and generation (io_uring)
//   bits 55..32  generation of the slot (24 bits), so a late completion for a closed, reused slot is ignored
//   bits 31..0   slot index in the EventLoop's handler table
//
// Token 0 is never a live watch: the io_uring backend uses it for requests whose completion means nothing.

public struct Token: Hashable, Sendable {
    public let raw: UInt64
    @inline(__always) init(raw: UInt64) { self.raw = raw }
    @inline(__always) init(kind: Kind, generation: UInt32, slot: UInt32) {
        raw = UInt64(kind.rawValue) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(slot)
    }
    enum Kind: UInt8 { case ignore = 0, watch = 1, listener = 2, removal = 3 }
    /// The same slot and generation under another kind.
    @inline(__always) func with(kind: Kind) -> Token { Token(raw: raw & 0x00FF_FFFF_FFFF_FFFF | UInt64(kind.rawValue) << 56) }
    static let ignore = Token(raw: 0)
    @inline(__always) var kind: Kind { Kind(rawValue: UInt8(truncatingIfNeeded: raw >> 56)) ?? .ignore }
    @inline(__always) var generation: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) & 0xFF_FFFF }
    @inline(__always) var slot: Int { Int(UInt32(truncatingIfNeeded: raw)) }
}
