import XCTest
@testable import Config

/// Bad input never crashes or hangs: mutated and truncated documents always come back with a result.
final class TOMLRobustnessTests: XCTestCase {
    static let seed = """
        # comment
        a = "x\\u00e9" # c
        b = [1, 2.5, { c = 'd', e.f = true }, [0x1f, 1979-05-27T07:32:00Z],
          \"\"\"multi
          line\"\"\", '''lit''',
        ]
        [t.u]
        "q k" = 0o17
        [[arr]]
        x = { y = [ ] }
        """

    func testMutatedDocumentsNeverCrash() {
        let original = Array(Self.seed.utf8)
        let alphabet = Array("[]{}\"'=.,#\n\r\\ _-+:0123456789abcdefxzTZ\t".utf8) + [0x00, 0x7F, 0xC3, 0xA9]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<(1 + next(4)) {
                let index = next(bytes.count)
                switch next(3) {
                case 0: bytes[index] = alphabet[next(alphabet.count)]
                case 1: bytes.insert(alphabet[next(alphabet.count)], at: index)
                default: bytes.remove(at: index)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = TOMLParser.parse(text, file: "fuzz")
            _ = ConfigLoader.parse(text: text, file: "fuzz")
        }
        for length in 0...original.count {
            _ = TOMLParser.parse(String(decoding: original[..<length], as: UTF8.self), file: "cut")
        }
    }

    func testSeedIsValid() {
        XCTAssertEqual(TOMLParser.parse(Self.seed, file: "seed").1, [])
    }
}
