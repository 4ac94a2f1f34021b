// FileWatcher on the real kernel (inotify), once per backend: file operations are done from timers on
// the loop, as other parts of the program would do them, and the callbacks are counted.
import Glibc
import XCTest
@testable import Reactor

final class FileWatcherTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        var template = Array("/tmp/stoep-fw-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    override func tearDown() {
        _ = system("rm -rf '\(directory)'")
    }

    private func write(_ name: String, _ text: String) {
        let fd = open(directory + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        Glibc.close(fd)
    }

    /// Runs `steps` (at their offsets in ms) on a loop with a watcher, for `total` ms.
    private func run(backend: BackendKind, total: UInt64 = 700, debounce: UInt64 = 50_000_000,
                     setUp: (FileWatcher) -> Void, steps: [(UInt64, () -> Void)]) throws -> FileWatcher {
        let log = Logger()
        let loop = try EventLoop(backend: backend, log: log)
        let watcher = try FileWatcher(loop: loop, log: log, debounceNanos: debounce)
        setUp(watcher)
        var timers: [Reactor.Timer] = []
        for (at, step) in steps {
            let t = Reactor.Timer { _ in step() }
            timers.append(t)
            loop.schedule(t, after: at * 1_000_000)
        }
        let stop = Reactor.Timer { _ in loop.stop() }
        loop.schedule(stop, after: total * 1_000_000)
        try loop.run()
        return watcher
    }

    private func fileChanges(backend: BackendKind) throws {
        var fileCalls = 0, otherCalls = 0, dirCalls = 0
        write("acme.json", "{}")
        let w = try run(backend: backend, setUp: { w in
            w.watch(path: directory + "/acme.json") { fileCalls += 1 }
            w.watch(path: directory + "/other.pem") { otherCalls += 1 }
            w.watch(path: directory) { dirCalls += 1 }
        }, steps: [
            // An atomic renewal: write a temporary file, rename it over the watched one.
            (20, { self.write("acme.json.tmp", "{\"a\":1}"); rename(self.directory + "/acme.json.tmp", self.directory + "/acme.json") }),
            // Delete, then create again, well after the first burst.
            (200, { unlink(self.directory + "/acme.json") }),
            (210, { self.write("acme.json", "{}") }),
            // A burst of writes to another file in the same directory.
            (400, { for i in 0..<20 { self.write("unrelated.txt", "\(i)") } }),
        ])
        XCTAssertEqual(fileCalls, 2, "\(backend.rawValue): one call per burst (rename-over, delete+create)")
        XCTAssertEqual(otherCalls, 0, backend.rawValue)
        XCTAssertEqual(dirCalls, 3, "\(backend.rawValue): the directory watcher sees all three bursts")
        XCTAssertEqual(w.watchedDirectoryCount, 1, "\(backend.rawValue): one inotify watch shared by three watchers")
        w.close()
    }

    func testFileChangesOnEpoll() throws { try fileChanges(backend: .epoll) }
    func testFileChangesOnIOUring() throws { try fileChanges(backend: .ioUring) }

    private func unwatchAndMissingDirectory(backend: BackendKind) throws {
        var calls = 0, lateCalls = 0
        var id = 0
        let later = directory + "/later"
        let w = try run(backend: backend, total: 1_600, setUp: { w in
            id = w.watch(path: directory + "/a.yml") { calls += 1 }
            // A directory that does not exist yet: looked for again every second.
            w.watch(path: later + "/") { lateCalls += 1 }
        }, steps: [
            (20, { self.write("a.yml", "x") }),
            (300, { mkdir(later, 0o755) }),
            (1_300, { self.write("later/x.yml", "y") }),
        ])
        _ = id
        XCTAssertEqual(calls, 1, backend.rawValue)
        XCTAssertEqual(lateCalls, 2, "\(backend.rawValue): once when the directory appears, once for the new file")
        w.unwatch(id)
        XCTAssertEqual(w.watchedDirectoryCount, 1, "\(backend.rawValue): the root's watch went with its last watcher")
        w.close()
    }

    func testUnwatchAndMissingDirectoryOnEpoll() throws { try unwatchAndMissingDirectory(backend: .epoll) }
    func testUnwatchAndMissingDirectoryOnIOUring() throws { try unwatchAndMissingDirectory(backend: .ioUring) }

    /// A watched directory reached through a symbolic link that a deployment swaps (`conf -> v1` renamed
    /// over by `conf -> v2`): the swap is reported, and so is a later change inside v2 (the watch moved).
    private func symlinkSwap(backend: BackendKind) throws {
        mkdir(directory + "/v1", 0o755)
        mkdir(directory + "/v2", 0o755)
        symlink("v1", directory + "/conf")
        var calls = 0
        let w = try run(backend: backend, total: 600, setUp: { w in
            w.watch(path: directory + "/conf") { calls += 1 }
        }, steps: [
            (20, { symlink("v2", self.directory + "/conf.new"); rename(self.directory + "/conf.new", self.directory + "/conf") }),
            (250, { self.write("v2/dyn.yml", "x") }),
            (450, { self.write("v1/dyn.yml", "old target: not watched any more") }),
        ])
        XCTAssertEqual(calls, 2, "\(backend.rawValue): the swap, then the change inside the new target")
        _ = w
    }

    func testSymlinkSwapOnEpoll() throws { try symlinkSwap(backend: .epoll) }
    func testSymlinkSwapOnIOUring() throws { try symlinkSwap(backend: .ioUring) }

    func testUnwatchedWatcherIsNotCalled() throws {
        var calls = 0
        var watcher: FileWatcher?
        var id = 0
        _ = try run(backend: .epoll, total: 300, setUp: { w in
            watcher = w
            id = w.watch(path: directory + "/a.yml") { calls += 1 }
        }, steps: [
            (10, { watcher?.unwatch(id) }),
            (20, { self.write("a.yml", "x") }),
        ])
        XCTAssertEqual(calls, 0)
        XCTAssertEqual(watcher?.watchedDirectoryCount, 0)
        watcher?.close()
    }

    func testParserStopsAtTruncatedRecords() {
        // Two records: wd 1 "a.yml" (len 16), then a header claiming 64 name bytes that are not there.
        var bytes: [UInt8] = []
        func header(_ wd: Int32, _ mask: UInt32, _ len: UInt32) {
            withUnsafeBytes(of: wd.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(0)) { bytes += $0 }
            withUnsafeBytes(of: len.littleEndian) { bytes += $0 }
        }
        header(1, UInt32(IN_CLOSE_WRITE), 16)
        bytes += Array("a.yml".utf8) + [UInt8](repeating: 0, count: 11)
        header(2, UInt32(IN_CREATE), 64)
        bytes += Array("short".utf8)
        var seen: [(Int32, String)] = []
        bytes.withUnsafeBytes { FileWatcher.parseEvents($0) { wd, _, name in seen.append((wd, name)) } }
        XCTAssertEqual(seen.map(\.0), [1])
        XCTAssertEqual(seen.map(\.1), ["a.yml"])
        // A huge length and a lone partial header are ignored too.
        var hostile: [UInt8] = []
        swap(&bytes, &hostile)
        header(3, 0, UInt32.max)
        bytes += [1, 2, 3]
        seen = []
        bytes.withUnsafeBytes { FileWatcher.parseEvents($0) { wd, _, name in seen.append((wd, name)) } }
        XCTAssertTrue(seen.isEmpty)
    }

    func testSplitsPaths() {
        XCTAssertEqual(FileWatcher.split("/etc/traefik/acme.json").0, "/etc/traefik")
        XCTAssertEqual(FileWatcher.split("/etc/traefik/acme.json").1, "acme.json")
        XCTAssertEqual(FileWatcher.split("acme.json").0, ".")
        XCTAssertEqual(FileWatcher.split("/tmp/").0, "/tmp")
        XCTAssertNil(FileWatcher.split("/tmp").1)
        XCTAssertNil(FileWatcher.split("/not/yet/there/").1)
    }
}
