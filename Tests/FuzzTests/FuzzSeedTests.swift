// Every fuzz target's seed corpus (tests/fuzz/<target>/) through the target's entry point, in the ordinary
// checked build: the parsers' contracts hold on the seeds, each target has seeds, and each crash the fuzzer
// found stays fixed (its input is kept in the corpus as regression-*). Fast: a few hundred small inputs.
import FuzzTargets
import Glibc
import XCTest

final class FuzzSeedTests: XCTestCase {
    static let corpusRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/tests/fuzz"
    }()

    static func files(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(directory + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    func testEveryTargetHasSeedsAndTheyPassThrough() {
        for target in FuzzTarget.all {
            let seeds = Self.files(Self.corpusRoot + "/" + target.name)
            XCTAssertFalse(seeds.isEmpty, "no seeds for fuzz target \(target.name)")
            for seed in seeds { target.run(Self.read(seed)) }
        }
    }

    func testMutatorsKeepTheSizeLimit() {
        for target in FuzzTarget.all {
            guard let mutate = target.mutate else { continue }
            for seed in Self.files(Self.corpusRoot + "/" + target.name).prefix(8) {
                let input = Self.read(seed)
                for s in 0..<50 as Range<UInt64> {
                    let out = mutate(input, s &* 0x9E37_79B9_7F4A_7C15, 512) { Array($0.reversed()) }
                    XCTAssertLessThanOrEqual(out.count, 512)
                    target.run(out)
                }
            }
        }
    }
}
