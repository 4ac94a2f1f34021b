// Go's http.DetectContentType (net/http/sniff.go, the WHATWG MIME Sniffing algorithm as Go implements
// it): the Content-Type Go's server gives a response that has none, from its first 512 bytes. Used for
// the `contentType` middleware, which turns that sniffing back on in Traefik 3. The signatures are
// tried in Go's order; the first match wins.

enum ContentSniffer {
    /// Go's sniffLen.
    static let sniffLength = 512

    static func detect(_ bytes: ArraySlice<UInt8>) -> String {
        let data = Array(bytes.prefix(sniffLength))
        var firstNonWS = 0
        while firstNonWS < data.count && isWhitespace(data[firstNonWS]) { firstNonWS += 1 }
        let trimmed = data[firstNonWS...]
        for tag in htmlTags where htmlMatch(trimmed, tag) { return "text/html; charset=utf-8" }
        if masked(trimmed, pattern: "<?xml", mask: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) { return "text/xml; charset=utf-8" }
        for (signature, type) in exact where data.starts(with: signature) { return type }
        for m in maskedSignatures where masked(data[...], pattern: m.pattern, mask: m.mask) { return m.type }
        if isMP4(data) { return "video/mp4" }
        for (signature, type) in exactLate where data.starts(with: signature) { return type }
        if masked(data[...], pattern: [UInt8](repeating: 0, count: 34) + Array("LP".utf8),
                  mask: [UInt8](repeating: 0, count: 34) + [0xFF, 0xFF]) { return "application/vnd.ms-fontobject" }
        for (signature, type) in fontsAndArchives where data.starts(with: signature) { return type }
        // textSig: no byte that marks binary data.
        let binary = trimmed.contains { b in b <= 0x08 || b == 0x0B || (0x0E...0x1A).contains(b) || (0x1C...0x1F).contains(b) }
        return binary ? "application/octet-stream" : "text/plain; charset=utf-8"
    }

    private static let htmlTags: [[UInt8]] = ["<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT",
                                              "<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--"].map { Array($0.utf8) }

    private static func isWhitespace(_ b: UInt8) -> Bool { b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D || b == 0x20 }

    /// htmlSig: the tag, letters compared case-insensitively, then a space or '>'.
    private static func htmlMatch(_ data: ArraySlice<UInt8>, _ tag: [UInt8]) -> Bool {
        guard data.count >= tag.count + 1 else { return false }
        for (i, b) in tag.enumerated() {
            var d = data[data.startIndex + i]
            if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { d &= 0xDF }
            if d != b { return false }
        }
        let next = data[data.startIndex + tag.count]
        return next == UInt8(ascii: " ") || next == UInt8(ascii: ">")
    }

    private static func masked(_ data: ArraySlice<UInt8>, pattern: String, mask: [UInt8]) -> Bool {
        masked(data, pattern: Array(pattern.utf8), mask: mask)
    }

    private static func masked(_ data: ArraySlice<UInt8>, pattern: [UInt8], mask: [UInt8]) -> Bool {
        guard data.count >= pattern.count else { return false }
        for i in 0..<pattern.count where data[data.startIndex + i] & mask[i] != pattern[i] { return false }
        return true
    }

    /// mp4Sig: an "ftyp" box whose brands include "mp4".
    private static func isMP4(_ data: [UInt8]) -> Bool {
        guard data.count >= 12 else { return false }
        let boxSize = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
        guard data.count >= boxSize, boxSize % 4 == 0, data[4..<8].elementsEqual("ftyp".utf8) else { return false }
        var st = 8
        while st < boxSize {
            if st != 12 && data[st..<st + 3].elementsEqual("mp4".utf8) { return true }
            st += 4
        }
        return false
    }

    private static let exact: [([UInt8], String)] = [
        (Array("%PDF-".utf8), "application/pdf"),
        (Array("%!PS-Adobe-".utf8), "application/postscript"),
    ]

    private struct Masked {
        let pattern: [UInt8]
        let mask: [UInt8]
        let type: String
    }

    /// BOMs, then images, audio and video, in Go's order (exact signatures written as full masks).
    private static let maskedSignatures: [Masked] = {
        func m(_ p: [UInt8], _ mask: [UInt8], _ t: String) -> Masked { Masked(pattern: p, mask: mask, type: t) }
        func e(_ p: [UInt8], _ t: String) -> Masked { Masked(pattern: p, mask: [UInt8](repeating: 0xFF, count: p.count), type: t) }
        func s(_ text: String) -> [UInt8] { Array(text.utf8) }
        let riffMask: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        return [
            m([0xFE, 0xFF, 0, 0], [0xFF, 0xFF, 0, 0], "text/plain; charset=utf-16be"),
            m([0xFF, 0xFE, 0, 0], [0xFF, 0xFF, 0, 0], "text/plain; charset=utf-16le"),
            m([0xEF, 0xBB, 0xBF, 0], [0xFF, 0xFF, 0xFF, 0], "text/plain; charset=utf-8"),
            e([0, 0, 1, 0], "image/x-icon"),
            e([0, 0, 2, 0], "image/x-icon"),
            e(s("BM"), "image/bmp"),
            e(s("GIF87a"), "image/gif"),
            e(s("GIF89a"), "image/gif"),
            m(s("RIFF") + [0, 0, 0, 0] + s("WEBPVP"), riffMask + [0xFF, 0xFF], "image/webp"),
            e([0x89] + s("PNG") + [0x0D, 0x0A, 0x1A, 0x0A], "image/png"),
            e([0xFF, 0xD8, 0xFF], "image/jpeg"),
            m(s("FORM") + [0, 0, 0, 0] + s("AIFF"), riffMask, "audio/aiff"),
            e(s("ID3"), "audio/mpeg"),
            e(s("OggS") + [0], "application/ogg"),
            e(s("MThd") + [0, 0, 0, 6], "audio/midi"),
            m(s("RIFF") + [0, 0, 0, 0] + s("AVI "), riffMask, "video/avi"),
            m(s("RIFF") + [0, 0, 0, 0] + s("WAVE"), riffMask, "audio/wave"),
        ]
    }()

    /// After mp4: webm.
    private static let exactLate: [([UInt8], String)] = [([0x1A, 0x45, 0xDF, 0xA3], "video/webm")]

    /// After the embedded-OpenType check: fonts, archives, wasm.
    private static let fontsAndArchives: [([UInt8], String)] = [
        ([0, 1, 0, 0], "font/ttf"),
        (Array("OTTO".utf8), "font/otf"),
        (Array("ttcf".utf8), "font/collection"),
        (Array("wOFF".utf8), "font/woff"),
        (Array("wOF2".utf8), "font/woff2"),
        ([0x1F, 0x8B, 0x08], "application/x-gzip"),
        (Array("PK".utf8) + [3, 4], "application/zip"),
        (Array("Rar!".utf8) + [0x1A, 0x07, 0x00], "application/x-rar-compressed"),
        (Array("Rar!".utf8) + [0x1A, 0x07, 0x01, 0x00], "application/x-rar-compressed"),
        ([0x00, 0x61, 0x73, 0x6D], "application/wasm"),
    ]
}
