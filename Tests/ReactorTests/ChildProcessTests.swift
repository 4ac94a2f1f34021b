// ChildProcess on both backends with real programs (/bin/sh and coreutils): exit statuses, a signal, the
// timeout's SIGKILL reaching the child's own children, the bounded output, arguments passed verbatim
// (no shell in between), and a program that cannot be started.
import Glibc
import XCTest
@testable import Reactor

final class ChildProcessTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    /// Runs `path arguments` on a fresh loop of `backend` until its completion; the outcome and how long
    /// it took (seconds).
    private func run(_ backend: BackendKind, _ path: String, _ arguments: [String], timeout: Double = 5,
                     limit: Int = ChildProcess.defaultOutputLimit) throws -> (ChildProcess.Outcome, Double) {
        let loop = try EventLoop(backend: backend, log: Logger())
        var outcome: ChildProcess.Outcome?
        let started = monotonicNanos()
        let child = try ChildProcess(path: path, arguments: arguments, timeoutNanos: UInt64(timeout * 1e9), loop: loop,
                                     outputLimit: limit) { outcome = $0; loop.stop() }
        XCTAssertTrue(child.exitWatchedByPidfd, "\(backend): pidfd_open works on this kernel (>= 5.3)")
        let guardTimer = Timer { _ in loop.stop() }
        loop.schedule(guardTimer, after: UInt64((timeout + 5) * 1e9))
        try loop.run()
        loop.cancel(guardTimer)
        let result = try XCTUnwrap(outcome, "\(backend): no completion")
        return (result, Double(monotonicNanos() - started) / 1e9)
    }

    func testExitStatusAndOutputOfBothStreams() throws {
        for backend in Self.backends {
            let (ok, _) = try run(backend, "/bin/sh", ["-c", "echo out; echo err >&2"])
            XCTAssertEqual(ok.termination, .exited(0), "\(backend)")
            XCTAssertEqual(ok.outputText, "out\nerr", "\(backend)")
            let (failed, _) = try run(backend, "sh", ["-c", "echo nope; exit 3"])  // found through PATH
            XCTAssertEqual(failed.termination, .exited(3), "\(backend)")
            XCTAssertEqual(failed.outputText, "nope", "\(backend)")
        }
    }

    func testArgumentsArePassedVerbatim() throws {
        for backend in Self.backends {
            let (o, _) = try run(backend, "/usr/bin/printf", ["%s|", "present", "--", "-dash", "a b", "$HOME", ""])
            XCTAssertEqual(o.termination, .exited(0), "\(backend)")
            XCTAssertEqual(String(decoding: o.output, as: UTF8.self), "present|--|-dash|a b|$HOME||", "\(backend)")
        }
    }

    func testASignalIsReported() throws {
        for backend in Self.backends {
            let (o, _) = try run(backend, "/bin/sh", ["-c", "kill -TERM $$"])
            XCTAssertEqual(o.termination, .signalled(SIGTERM), "\(backend)")
        }
    }

    /// The child inherits neither stoep's blocked signals nor its ignored SIGPIPE.
    func testSignalStateIsReset() throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let oldPipe = signal(SIGPIPE, SIG_IGN)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil); signal(SIGPIPE, oldPipe) }
        for backend in Self.backends {
            let (o, _) = try run(backend, "/bin/sh", ["-c", "grep -E '^(SigBlk|SigIgn)' /proc/self/status"])
            XCTAssertEqual(o.termination, .exited(0), "\(backend)")
            for line in o.outputText.split(separator: "\n") {
                let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 1
                // SigBlk: nothing. SigIgn: not SIGPIPE (bit 12); the shell may ignore others itself.
                if line.hasPrefix("SigBlk") { XCTAssertEqual(mask, 0, "\(backend): \(line)") }
                if line.hasPrefix("SigIgn") { XCTAssertEqual(mask & (1 << (UInt64(SIGPIPE) - 1)), 0, "\(backend): \(line)") }
            }
        }
    }

    /// The timeout kills the whole process group: the shell's `sleep` child too, so nothing holds the
    /// pipe and the completion comes at once.
    func testTimeoutKillsTheGroupAndReaps() throws {
        for backend in Self.backends {
            let (o, seconds) = try run(backend, "/bin/sh", ["-c", "echo started; sleep 30; echo never"], timeout: 0.3)
            XCTAssertEqual(o.termination, .timedOut, "\(backend)")
            XCTAssertEqual(o.outputText, "started", "\(backend)")
            XCTAssertLessThan(seconds, 2, "\(backend)")
        }
    }

    func testOutputIsBoundedToItsTail() throws {
        for backend in Self.backends {
            let (o, _) = try run(backend, "/bin/sh", ["-c", "head -c 100000 /dev/zero | tr '\\0' a; echo END"], limit: 4096)
            XCTAssertEqual(o.termination, .exited(0), "\(backend)")
            XCTAssertEqual(o.output.count, 4096, "\(backend)")
            XCTAssertEqual(o.outputDropped, 100004 - 4096, "\(backend)")
            XCTAssertTrue(o.outputText.hasSuffix("aaaEND"), "\(backend)")
        }
    }

    func testAProgramThatCannotStartThrows() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        XCTAssertThrowsError(try ChildProcess(path: "/nonexistent/hook", arguments: [], timeoutNanos: 1_000_000_000,
                                              loop: loop) { _ in XCTFail("no completion for a spawn that failed") }) { error in
            XCTAssertEqual((error as? SystemError)?.errno, .noSuchFileOrDirectory)
        }
    }

    func testWaitStatusDecoding() {
        XCTAssertEqual(ProcessExitWatch.termination(0), .exited(0))
        XCTAssertEqual(ProcessExitWatch.termination(3 << 8), .exited(3))
        XCTAssertEqual(ProcessExitWatch.termination(9), .signalled(9))
        XCTAssertEqual(ProcessExitWatch.termination(15 | 0x80), .signalled(15))  // core dumped
    }
}
