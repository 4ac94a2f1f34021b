// Checking a password against an htpasswd hash the way Traefik does (containous/go-http-auth CheckSecret,
// reference §4): the hash's prefix picks the scheme — "{SHA}" base64(SHA-1), "$2a$"/"$2b$"/"$2x$"/"$2y$"
// bcrypt, anything else MD5-crypt with the magic taken from the hash ("$apr1$" Apache, "$1$" glibc).
// Plain-text passwords are not accepted, as in Traefik: they fall to MD5-crypt and never match.
import PKI
import CCrypt
import Glibc

enum PasswordHash {
    enum Scheme: Equatable {
        case sha1, bcrypt, md5Crypt
    }

    /// The scheme Traefik would use for `hash` (first matching prefix, MD5-crypt otherwise).
    static func scheme(of hash: String) -> Scheme {
        if hash.hasPrefix("{SHA}") { return .sha1 }
        if bcryptPrefixes.contains(where: { hash.hasPrefix($0) }) { return .bcrypt }
        return .md5Crypt
    }

    private static let bcryptPrefixes = ["$2a$", "$2b$", "$2x$", "$2y$"]

    /// True when `password` matches `hash`. The final comparison takes the same time wherever the bytes
    /// differ; the cost before it is the scheme's (bcrypt: its cost factor; MD5-crypt: 1000 MD5 rounds).
    static func verify(password: [UInt8], hash: String) -> Bool {
        let stored = Array(hash.utf8)
        switch scheme(of: hash) {
        case .sha1:
            let computed = Array(Base64.encode(SHA1.digest(password)).utf8)
            return constantTimeEquals(Array(stored.dropFirst(5)), computed)
        case .bcrypt:
            // Go's bcrypt computes every "$2?$" variant alike (the correct algorithm); libxcrypt emulates the
            // old $2a$/$2x$ bugs, so compute as "$2b$" and compare what follows the prefix.
            guard let computed = bcrypt(password: password, setting: "$2b$" + hash.dropFirst(4)) else { return false }
            return constantTimeEquals(Array(stored.dropFirst(4)), Array(computed.dropFirst(4)))
        case .md5Crypt:
            // "$magic$salt$digest": split on the first three "$" as go-http-auth does (SplitN(hash, "$", 4)).
            let parts = stored.split(separator: UInt8(ascii: "$"), maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4 else { return false }
            let magic = [UInt8(ascii: "$")] + parts[1] + [UInt8(ascii: "$")]
            return constantTimeEquals(stored, md5Crypt(password: password, salt: Array(parts[2]), magic: magic))
        }
    }

    /// MD5-crypt (Poul-Henning Kamp's FreeBSD md5crypt; Apache's "$apr1$" differs only in the magic):
    /// "magic salt $ 22 characters". The salt is used whole, as go-http-auth does (htpasswd writes 8).
    static func md5Crypt(password: [UInt8], salt: [UInt8], magic: [UInt8]) -> [UInt8] {
        let alternate = MD5.digest(password + salt + password)
        var first = password + magic + salt
        for i in 0..<password.count { first.append(alternate[i % 16]) }
        var bits = password.count
        while bits != 0 {
            // The original's quirk: a 1 bit adds a zero byte, a 0 bit the password's first byte.
            first.append(bits & 1 == 0 ? password[0] : 0)
            bits >>= 1
        }
        var final = MD5.digest(first)
        // 1000 rounds "to slow down dictionary attacks" (the original's comment): ~1 ms, not bcrypt's cost.
        for i in 0..<1000 {
            var round: [UInt8] = i & 1 == 0 ? final : password
            if i % 3 != 0 { round += salt }
            if i % 7 != 0 { round += password }
            round += i & 1 == 0 ? password : final
            final = MD5.digest(round)
        }
        var out = magic + salt + [UInt8(ascii: "$")]
        // The digest bytes in this order, 6 bits at a time, least significant first, in crypt's alphabet.
        let order = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11]
        var value: UInt32 = 0, pending: UInt32 = 0
        for index in order {
            value |= UInt32(final[index]) << pending
            pending += 8
            while pending > 6 {
                out.append(cryptAlphabet[Int(value & 0x3F)])
                value >>= 6
                pending -= 6
            }
        }
        out.append(cryptAlphabet[Int(value & 0x3F)])
        return out
    }

    /// crypt(3)'s base-64 alphabet ("./0-9A-Za-z"), not RFC 4648's.
    private static let cryptAlphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// libxcrypt's whole work area: sizeof(struct crypt_data), which crypt.h fixes at exactly 32768 bytes.
    private static let cryptDataSize = 32768

    /// libxcrypt's crypt_rn(password, setting), or nil when it refuses (bad setting, or a password with a
    /// NUL byte, which a C string cannot carry). Blocks for the hash's cost: tens of milliseconds at cost 10.
    static func bcrypt(password: [UInt8], setting: String) -> [UInt8]? {
        guard !password.contains(0) else { return nil }
        let data = UnsafeMutableRawPointer.allocate(byteCount: cryptDataSize, alignment: 16)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: cryptDataSize)
        defer { data.deallocate() }
        let phrase = password.map { CChar(bitPattern: $0) } + [0]
        guard let result = crypt_rn(phrase, setting, data, Int32(cryptDataSize)) else { return nil }
        let text = Array(String(cString: result).utf8)
        // libxcrypt's failure tokens start with "*"; a real hash starts with its "$" prefix.
        return text.first == UInt8(ascii: "$") ? text : nil
    }

    /// Equality whose running time depends only on the lengths (Go's subtle.ConstantTimeCompare).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
