import Foundation
import Glibc

/// A tiny blocking unix-socket server on its own thread that plays the stats socket protocol: read one line,
/// answer from `responses` (keyed by the trimmed line), close. Records the lines it received.
final class BlockingTestServer: @unchecked Sendable {
    let directory: String
    let path: String
    private let listenFD: Int32
    private let lock = NSLock()
    private var receivedLines: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    /// `responses[line]` is sent back; lines not in the table get `fallback`. `replyDelay` holds the
    /// connection open without answering first (for timeout tests).
    init(responses: [String: [UInt8]], fallback: [UInt8] = Array(#"{"error":"unknown"}"#.utf8),
         replyDelay: Double = 0) throws {
        var template = Array("/tmp/stoep-stats-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
        path = directory + "/stoep.sock"
        listenFD = try BlockingTestServer.listen(path: path)
        let fd = listenFD
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { break }
                let line = BlockingTestServer.readLine(client)
                lock.lock(); receivedLines.append(line); lock.unlock()
                if replyDelay > 0 { usleep(UInt32(replyDelay * 1_000_000)) }
                let response = responses[line] ?? fallback
                response.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let sent = send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                        if sent <= 0 { break }
                        offset += sent
                    }
                }
                close(client)
            }
            finished.signal()
        }.start()
    }

    var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return receivedLines
    }

    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))  // wakes the blocked accept
        finished.wait()
        close(listenFD)
        unlink(path)
        rmdir(directory)
    }

    static func listen(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        return fd
    }

    /// A socket file with nothing listening behind it: connecting gives ECONNREFUSED.
    static func staleSocket(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    private static func readLine(_ fd: Int32) -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 0x0A { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }
}
