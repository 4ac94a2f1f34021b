// stoep-fuzz: one executable for every fuzz target (Sources/Fuzz). The target is named by the environment
// variable STOEP_FUZZ_TARGET (libFuzzer's own flags and corpus directories are the arguments):
//   STOEP_FUZZ_TARGET=http-request .build-fuzz/release/stoep-fuzz -max_total_time=60 corpus/
// `make fuzz` builds it with -sanitize=fuzzer,address and -D FUZZING (libFuzzer drives it); a plain build
// replays the files given as arguments through the target instead (a regression run of a corpus).
import FuzzTargets
import Glibc

/// The target STOEP_FUZZ_TARGET names; exits with the list of names when it names none.
func selectedTarget() -> FuzzTarget {
    let name = getenv("STOEP_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget.named(name) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: " ")
        print("stoep-fuzz: set STOEP_FUZZ_TARGET to one of: \(names)")
        exit(2)
    }
    return target
}

nonisolated(unsafe) let selected = selectedTarget()

#if FUZZING
// SwiftPM links executables with `main` defined as `<target>_main`, so libFuzzer's own main is not used:
// this entry point hands the arguments to libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// libFuzzer's custom mutator hook: the target's structure-aware mutator when it has one, libFuzzer's
/// byte mutations otherwise.
@_cdecl("LLVMFuzzerCustomMutator")
func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let mutate = selected.mutate else { return LLVMFuzzerMutate(data, size, maxSize) }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let out = mutate(input, UInt64(seed) &* 0x9E37_79B9_7F4A_7C15, maxSize) { bytes in
        var buffer = bytes + [UInt8](repeating: 0, count: max(64, bytes.count))
        let n = buffer.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, bytes.count, $0.count) }
        return Array(buffer.prefix(n))
    }
    let n = min(out.count, maxSize)
    if n > 0 { out.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: n) } }
    return n
}

@_cdecl("stoep_fuzz_main")
func fuzzDriverMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    _ = selected
    var count = argc
    var args = argv
    return LLVMFuzzerRunDriver(&count, &args) { data, size in
        selected.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
#else
@main
struct ReplayCorpus {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            selected.run(bytes)
        }
    }
}
#endif
