import Foundation
import Proxy
import XCTest

/// A live capture: `openssl s_client` connects to a throw-away Python listener that prints the first
/// bytes it receives as hex. Skipped where python3 or openssl is missing.
final class ClientHelloOpenSSLTests: XCTestCase {
    private static let listener = #"""
        import socket, subprocess, sys
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
        port = s.getsockname()[1]
        p = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + sys.argv[1:],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s.settimeout(10); c, _ = s.accept(); c.settimeout(5)
        data = b""
        try:
            while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
                chunk = c.recv(65536)
                if not chunk: break
                data += chunk
        except socket.timeout:
            pass
        c.close(); p.kill(); p.wait()
        print(data.hex())
        """#

    private func capture(_ arguments: [String]) throws -> [UInt8] {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: FileManager.default.isExecutableFile),
              ["/usr/bin/openssl", "/usr/local/bin/openssl"].contains(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("python3 or openssl not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.listener] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ClientHelloSamples.bytes(String(decoding: data, as: UTF8.self))
    }

    func testOpenSSLClients() throws {
        let cases: [([String], ClientHelloPeek)] = [
            (["-servername", "x.test", "-alpn", "h2,http/1.1"], .hello(serverName: "x.test", alpn: ["h2", "http/1.1"])),
            (["-servername", "Db.Example.LAN", "-tls1_2"], .hello(serverName: "db.example.lan", alpn: [])),
            (["-noservername", "-alpn", "postgresql"], .hello(serverName: nil, alpn: ["postgresql"])),
        ]
        for (arguments, expected) in cases {
            let bytes = try capture(arguments)
            XCTAssertGreaterThan(bytes.count, 5, "\(arguments)")
            XCTAssertEqual(ClientHello.peek(bytes), expected, "\(arguments)")
            for length in 0..<bytes.count {
                XCTAssertEqual(ClientHello.peek(Array(bytes.prefix(length))), .needMore, "\(arguments) prefix \(length)")
            }
        }
    }
}
