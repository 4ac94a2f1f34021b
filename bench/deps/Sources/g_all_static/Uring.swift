import CUring

/// Sets up one io_uring (8 entries) and leaves it open, as a server would.
func useUring() -> Int32 {
    var ring = io_uring()
    return io_uring_queue_init(8, &ring, 0)
}
