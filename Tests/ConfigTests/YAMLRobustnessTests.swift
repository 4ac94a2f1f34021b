import XCTest
@testable import Config
import TestSupport

/// Hostile and broken YAML never crashes the reader, and every error it reports points into the file.
final class YAMLRobustnessTests: XCTestCase {
    static let interesting: [UInt8] = Array(":-[]{}&*!|>'\"#\t\n ?,<%@`~.0x\\".utf8) + [0, 0xC3, 0xFF]

    /// Mutates valid Traefik-style documents by deleting, inserting, duplicating and swapping bytes.
    func testRandomMutationsNeverCrash() {
        let seeds = [YAMLTraefikEquivalenceTests.routersYAML, YAMLTraefikEquivalenceTests.anchorsYAML,
                     YAMLTraefikEquivalenceTests.flowYAML, "a: &a [x, *a]\nb: {<<: *a}\n"]
        var generator = SplitMix64(state: 0x5703_9A11)
        for iteration in 0..<3000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                mutate(&bytes, using: &generator)
            }
            check(String(decoding: bytes, as: UTF8.self), label: "mutation \(iteration)")
        }
    }

    func testRandomBytesNeverCrash() {
        var generator = SplitMix64(state: 42)
        for iteration in 0..<1000 {
            let count = Int.random(in: 0...200, using: &generator)
            let bytes = (0..<count).map { _ in Self.interesting.randomElement(using: &generator) ?? 0 }
            check(String(decoding: bytes, as: UTF8.self), label: "random \(iteration)")
        }
    }

    func testPathologicalInputs() {
        let inputs = [
            String(repeating: "- ", count: 500) + "x",
            String(repeating: "{a: ", count: 500),
            String(repeating: "a:\n ", count: 300),
            String(repeating: "&a ", count: 10) + "x",
            "a: " + String(repeating: "x", count: 200_000),
            (0..<20_000).map { "k\($0): v\n" }.joined(),
            "\u{0}\u{1}\u{7F}", "\"\\", "'", "|", ">\n  \t", "? ", ": ", "*", "&", "!", "---\n---\n---",
            "a: *", "<<: *x", "<<: [1]", "<<:\n  - *a",
        ]
        for (index, input) in inputs.enumerated() { check(input, label: "pathological \(index)") }
    }

    private func check(_ text: String, label: String) {
        let (_, errors) = YAMLReader.parse(text, file: "m.yaml")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        for error in errors {
            guard let location = error.location else { return XCTFail("\(label): error without location: \(error)") }
            XCTAssertTrue(location.line >= 1 && location.line <= lines + 1, "\(label): \(error)")
            XCTAssertTrue(location.column >= 1, "\(label): \(error)")
            XCTAssertFalse(error.message.isEmpty, label)
        }
    }

    private func mutate(_ bytes: inout [UInt8], using generator: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<4, using: &generator) {
        case 0 where !bytes.isEmpty:
            bytes.remove(at: position)
        case 1:
            bytes.insert(Self.interesting.randomElement(using: &generator) ?? 0, at: position)
        case 2 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...40, using: &generator))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        default:
            guard bytes.count > 1 else { return }
            bytes.swapAt(position, Int.random(in: 0..<bytes.count, using: &generator))
        }
    }
}
