// A structure-aware mutator for DNS messages: half the time the input is mutated as bytes by libFuzzer, half
// the time a message is assembled from records: a header with chosen counts and flags, names from labels of
// the zone the target answers for (with and without compression pointers, including ones that loop or point
// forward), question types the responder treats differently, answer records, and an EDNS OPT record with
// options. Byte flipping seldom gets counts, lengths and pointers to agree; this makes them agree or
// disagree on purpose.
enum DNSMessageMutator {
    static let labels: [[UInt8]] = ["fuzz", "lan", "v6", "host", "alias", "local", "www", "x", "*", "_tcp",
                                    String(repeating: "a", count: 63)].map { Array($0.utf8) }
    static let types: [UInt16] = [1, 28, 5, 255, 12, 16, 33, 65, 41, 6, 2, 15, 252, 0]

    @Sendable static func mutate(_ input: [UInt8], _ seed: UInt64, _ maxSize: Int, _ bytes: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var random = FuzzRandom(seed)
        if random.below(2) == 0 { return Array(bytes(input).prefix(maxSize)) }
        var m: [UInt8] = []
        func u16(_ v: UInt16) { m += [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func name() {
            // A pointer to the question name (offset 12), sometimes to itself or past the end.
            if m.count > 12, random.below(4) == 0 {
                let target = [12, m.count, m.count + 40, 0][random.below(4)]
                m += [0xC0 | UInt8((target >> 8) & 0x3F), UInt8(target & 0xFF)]
                return
            }
            for _ in 0..<(1 + random.below(4)) {
                let label = labels[random.below(labels.count)]
                m.append(UInt8(label.count)); m += label
            }
            m.append(0)
        }
        let answers = random.below(3), additional = random.below(3) == 0 ? 0 : 1
        u16(UInt16(truncatingIfNeeded: random.next()))                         // id
        u16([0x0100, 0x0000, 0x8180, 0x0120, 0x7900, 0x0110][random.below(6)])  // flags: RD, opcodes, QR, AD, CD
        u16(UInt16(random.below(8) == 0 ? 2 : 1)); u16(UInt16(answers)); u16(0); u16(UInt16(additional))
        name(); u16(types[random.below(types.count)]); u16(random.below(8) == 0 ? 3 : 1)
        for _ in 0..<answers {
            name(); u16(types[random.below(types.count)]); u16(1); u16(0); u16(UInt16(random.below(600)))
            let length = [4, 16, 0, 2, 300][random.below(5)]
            u16(UInt16(length)); m += (0..<min(length, 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        if additional == 1 {
            // OPT: root name, type 41, class = UDP size, TTL = ext-rcode/version/DO, options.
            m.append(0); u16(41); u16([512, 1232, 4096, 0, 65535][random.below(5)])
            u16(UInt16(random.below(4) == 0 ? 0x0100 : 0)); u16(random.below(2) == 0 ? 0x8000 : 0)
            let options: [[UInt8]] = [[], [0, 10, 0, 8] + Array(repeating: 7, count: 8), [0, 8, 0, 7, 0, 1, 24, 0, 10, 0, 0],
                                      [0, 12, 0, 4, 0, 0, 0, 0], [0, 10, 0, 40]]
            let o = options[random.below(options.count)]
            u16(UInt16(o.count)); m += o
        }
        if random.below(4) == 0 { m = bytes(m) }
        return Array(m.prefix(maxSize))
    }
}
