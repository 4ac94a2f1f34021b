// The openssl command line as an independent judge of what PKI writes: files in a temporary directory,
// `openssl verify`, `req`, `x509`, `pkey`, `dgst`.
import Foundation
import XCTest

final class OpenSSLCommand {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stoep-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes `bytes` to `name` in the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Runs `openssl arguments...` in the directory; returns its exit status and its output (stdout and
    /// stderr together).
    func run(_ arguments: [String], input: [UInt8]? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.currentDirectoryURL = directory
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs openssl and fails the test when it exits non-zero; returns its output.
    func check(_ arguments: [String], input: [UInt8]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (status, output) = try run(arguments, input: input)
        XCTAssertEqual(status, 0, "openssl \(arguments.joined(separator: " ")): \(output)", file: file, line: line)
        return output
    }
}
