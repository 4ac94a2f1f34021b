// Giving memory back to the kernel after a large, short-lived build (a blocklist of a million names is
// parsed and sorted in buffers several times the size of the finished set). glibc keeps freed heap memory
// for reuse — after its dynamic mmap threshold has risen, even large buffers come from the heap — so the
// resident size would stay at the build's peak. malloc_trim(0) releases every free page of every arena
// (madvise(MADV_DONTNEED) on the free chunks, glibc >= 2.8). Glibc's module map does not export malloc.h,
// hence the declaration by symbol name.

@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

public enum FreeMemory {
    /// Returns free heap pages to the kernel; true when some were released. Costs a walk of the heap
    /// (milliseconds): for after a rare large build, not per request.
    @discardableResult
    public static func returnToKernel() -> Bool {
        glibcMallocTrim(0) == 1
    }
}
