// JSONWriter: appends RFC 8259 JSON text to a byte buffer, for the stats socket documents.
//
// Why a hand-rolled writer: the stats socket must not pull in Foundation (half the idle-memory budget), and
// `show conns` for 10,000 connections is built in chunks on the reactor thread, so the writer keeps no
// per-value allocations: numbers are formatted on the stack, strings are escaped straight into the buffer.
//
// Comma handling needs no stack: inside a container a comma is due before a key or value exactly when the
// previous token was a complete value (a scalar or a closed container). `begin…` and `key` clear that state,
// values set it. At the top level (depth 0) no comma is ever written, so several documents may follow each
// other in one writer (e.g. newline-delimited). The caller is responsible for nesting correctly (every `key`
// inside an object followed by one value).

public struct JSONWriter {
    /// The JSON text written so far. The server may send it and call `clearBuffer()` mid-document.
    public private(set) var bytes: [UInt8]
    /// True when the last token was a complete value, so the next key or value needs a comma first.
    private var needsComma = false
    /// Open containers; commas are only written inside one.
    private var depth = 0

    public init(reservingCapacity capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Drops the bytes written so far (keeping capacity) without losing the comma state, so a long document
    /// can be produced in chunks: write some, send `bytes`, `clearBuffer()`, continue.
    public mutating func clearBuffer() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Moves the written bytes out and leaves an empty buffer of the same capacity (comma state kept).
    public mutating func takeBytes() -> [UInt8] {
        let taken = bytes
        bytes = []
        bytes.reserveCapacity(taken.capacity)  // the next chunk is likely as large
        return taken
    }

    // MARK: Structure

    public mutating func beginObject() { openContainer(UInt8(ascii: "{")) }
    public mutating func endObject() { closeContainer(UInt8(ascii: "}")) }
    public mutating func beginArray() { openContainer(UInt8(ascii: "[")) }
    public mutating func endArray() { closeContainer(UInt8(ascii: "]")) }

    /// An object and an array open and close alike; only the bracket differs.
    @inline(__always)
    private mutating func openContainer(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth &+= 1
        needsComma = false
    }

    /// A closed container is a complete value: a comma is due before whatever follows it.
    @inline(__always)
    private mutating func closeContainer(_ bracket: UInt8) {
        bytes.append(bracket)
        depth &-= 1
        needsComma = true
    }

    /// Writes an object key and the colon; the next call must write its value.
    public mutating func key(_ name: String) {
        separate()
        appendEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        separate()
        appendEscaped(value)
        needsComma = true
    }

    public mutating func int(_ value: Int) {
        separate()
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
        }
        appendDigits(UInt64(value.magnitude))
        needsComma = true
    }

    public mutating func int64(_ value: Int64) {
        int(Int(value))
    }

    public mutating func uint64(_ value: UInt64) {
        separate()
        appendDigits(value)
        needsComma = true
    }

    /// Non-finite values (NaN, ±infinity) have no JSON form and are written as `null`.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            null()
            return
        }
        separate()
        if value == value.rounded(.towardZero), value.magnitude < 1e15 {
            // Integral values print as integers ("3", not "3.0"): shorter and friendlier for jq users.
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            appendDigits(UInt64(value.magnitude))
        } else {
            // Swift's description is the shortest round-trip form, e.g. "0.25", "1e-05", "5e+20":
            // all valid JSON numbers, and never "inf"/"nan" since the value is finite here.
            bytes.append(contentsOf: value.description.utf8)
        }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        if value {
            bytes.append(contentsOf: "true".utf8)
        } else {
            bytes.append(contentsOf: "false".utf8)
        }
        needsComma = true
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// Appends an already-serialised JSON value verbatim (e.g. `StatsCommand.helpJSON`). The caller vouches
    /// that `json` is one valid JSON value. Text made only of JSON whitespace (e.g. "\n" after a document)
    /// is appended as is, without a comma and without counting as a value.
    public mutating func raw(_ json: String) {
        if json.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            bytes.append(contentsOf: json.utf8)
            return
        }
        separate()
        bytes.append(contentsOf: json.utf8)
        needsComma = true
    }

    /// Appends "\n" (whitespace, not a value): the stats socket ends each document with one.
    public mutating func newline() {
        bytes.append(0x0A)
    }

    // MARK: Key + value shorthands

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); int(value) }
    public mutating func field(_ name: String, _ value: Int64) { key(name); int64(value) }
    public mutating func field(_ name: String, _ value: UInt64) { key(name); uint64(value) }
    public mutating func field(_ name: String, _ value: Double) { key(name); double(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }

    /// Writes `value` if present, `null` otherwise.
    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    // MARK: Internals

    @inline(__always)
    private mutating func separate() {
        if needsComma && depth > 0 {
            bytes.append(UInt8(ascii: ","))
        }
    }

    /// Writes `value` in decimal without allocating (at most 20 digits for UInt64).
    private mutating func appendDigits(_ value: UInt64) {
        if value < 10 {
            bytes.append(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = 20
            while remaining > 0 {
                start -= 1
                digits[start] = 0x30 &+ UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Writes `text` as a quoted JSON string. Runs of bytes that need no escaping are copied in one append;
    /// `"`, `\` and control characters below U+0020 are escaped (the short forms where RFC 8259 has them);
    /// everything else, including non-ASCII, passes through as UTF-8 (Swift strings are always valid UTF-8).
    private mutating func appendEscaped(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            while index < utf8.count {
                let byte = utf8[index]
                if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                    index += 1
                    continue
                }
                if runStart < index {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                }
                appendEscape(for: byte)
                index += 1
                runStart = index
            }
            if runStart < utf8.count {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x61 &+ nibble &- 10
    }

    private mutating func appendEscape(for byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: bytes.append(UInt8(ascii: "\""))
        case 0x5C: bytes.append(UInt8(ascii: "\\"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            // \u00XX for the remaining control characters.
            bytes.append(contentsOf: "u00".utf8)
            bytes.append(Self.hexDigit(byte >> 4))
            bytes.append(Self.hexDigit(byte & 0xF))
        }
    }
}
