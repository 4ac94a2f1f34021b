// ClientHellos for the peek tests: three captured from `openssl s_client` (OpenSSL 3.0) against a plain
// listener, and a builder for the shapes real clients rarely send (split records, odd extensions).

enum ClientHelloSamples {
    /// `openssl s_client -servername x.test -alpn h2,http/1.1` (TLS 1.3 hello, one record).
    static let openSSLTLS13 = bytes("""
        16030101450100014103038854a38eb475a3d22c8d710525a9fbfabee9c860a47afd4c89472538fbcdede320c5bb8ce4b6ced7ea\
        1363c367917d41dde506e0b94deed9e5e5cc63c8770d99e1003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024\
        c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010000ba0000000b0009000006782e74\
        657374000b000403000102000a00160014001d0017001e0019001801000101010201030104002300000010000e000c0268320868\
        7474702f312e310016000000170000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301\
        0302040205020602002b0009080304030303020301002d00020101003300260024001d00207ff9e53635ecb00056ce6284e1d1d5\
        4aa1b296f3f02cc8af3cbfa9a44f9a1d21
        """)

    /// `openssl s_client -servername X.Test -tls1_2 -alpn http/1.1` (upper-case SNI as sent).
    static let openSSLTLS12 = bytes("""
        16030100d5010000d10303827bd6b9d52f1f1c37169d37e8728f075b9e499a473184eea617b35a513fcdc4000038c02cc030009f\
        cca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff0100\
        00700000000b0009000006582e54657374000b000403000102000a000c000a001d0017001e00190018002300000010000b000908\
        687474702f312e310016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050106010303\
        03010302040205020602
        """)

    /// `openssl s_client -noservername`: no SNI, no ALPN.
    static let openSSLNoSNI = bytes("""
        16030101240100012003034a5e145a8c9897a57399dd6341317118c8573fbed4b319a89be83def06c43616208cf9fd91b56ded30\
        4af5b219b50e9868a40fdb6144e3fcfdaa6d2225e3031aa0003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024\
        c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff01000099000b000403000102000a0016\
        0014001d0017001e0019001801000101010201030104002300000016000000170000000d002a0028040305030603080708080809\
        080a080b080408050806040105010601030303010302040205020602002b0009080304030303020301002d000201010033002600\
        24001d0020350bac507c68bb6222229dc79ee334201ea46a75a9f5a671a08d4c784e47a931
        """)

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8.filter { !$0.isASCIIWhitespace })
        return stride(from: 0, to: digits.count - 1, by: 2).map { i in
            UInt8(nibble(digits[i]) << 4 | nibble(digits[i + 1]))
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "a") ? c - UInt8(ascii: "a") + 10 : c - UInt8(ascii: "0")
    }

    // MARK: building hellos

    static func u16(_ n: Int) -> [UInt8] { [UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] }
    static func u24(_ n: Int) -> [UInt8] { [UInt8(n >> 16 & 0xff)] + u16(n) }

    static func serverNameExtension(_ names: [(type: UInt8, name: String)]) -> (Int, [UInt8]) {
        var list: [UInt8] = []
        for entry in names { list += [entry.type] + u16(entry.name.utf8.count) + Array(entry.name.utf8) }
        return (0, u16(list.count) + list)
    }

    static func alpnExtension(_ protocols: [String]) -> (Int, [UInt8]) {
        var list: [UInt8] = []
        for p in protocols { list += [UInt8(p.utf8.count)] + Array(p.utf8) }
        return (16, u16(list.count) + list)
    }

    /// A ClientHello handshake message (type, length, body) with `extensions` in order; nil = no
    /// extensions block at all (TLS 1.0 style).
    static func message(_ extensions: [(Int, [UInt8])]?, sessionID: Int = 32) -> [UInt8] {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0xab, count: 32)
        body += [UInt8(sessionID)] + [UInt8](repeating: 7, count: sessionID)
        body += u16(4) + [0x13, 0x01, 0x13, 0x02] + [1, 0]
        if let extensions {
            var block: [UInt8] = []
            for (type, data) in extensions { block += u16(type) + u16(data.count) + data }
            body += u16(block.count) + block
        }
        return [1] + u24(body.count) + body
    }

    /// `message` cut into handshake records of at most `fragment` bytes each.
    static func records(_ message: [UInt8], fragment: Int = 1 << 14, version: [UInt8] = [3, 1]) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        while start < message.count {
            let end = min(start + fragment, message.count)
            out += [0x16] + version + u16(end - start) + message[start..<end]
            start = end
        }
        return out
    }

    static func hello(sni: String? = "db.lan", alpn: [String] = []) -> [UInt8] {
        var extensions: [(Int, [UInt8])] = [(10, u16(2) + [0, 29])]
        if let sni { extensions.append(serverNameExtension([(0, sni)])) }
        if !alpn.isEmpty { extensions.append(alpnExtension(alpn)) }
        return records(message(extensions))
    }
}

private extension UInt8 {
    var isASCIIWhitespace: Bool { self == 0x20 || self == 0x0a || self == 0x0d || self == 0x09 }
}
