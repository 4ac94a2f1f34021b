// One stats-socket client: read a command line, then write the document chunk by chunk as the socket
// takes it, then close.
import Glibc
import JSON
import Reactor

final class StatsSession: IOHandler {
    private let transport: PlainTransport
    private unowned let server: StatsServer
    private var token: Token?
    private var timer: Timer?
    private var line: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0
    private var readable = false, writable = false
    private var answering = false
    private var closed = false
    /// Rows still to describe for `show conns`, and how far we got.
    private var rows: [ConnectionDescribing] = []
    private var nextRow = 0
    private var writer = JSONWriter(reservingCapacity: 16 * 1024)
    private static let batch = 256
    private static let maxLine = 1024

    init(fd: Int32, server: StatsServer) {
        transport = PlainTransport(fd: fd)
        self.server = server
    }

    func start() throws {
        token = try server.loop.register(fd: transport.fd, handler: self)
        let t = Timer { [unowned self] _ in self.close() }
        timer = t
        server.loop.schedule(t, after: server.deadline)
    }

    func ready(fd: Int32, _ events: Readiness) {
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        if !answering { readCommand() }
        if answering { pumpOutput() }
    }

    private func readCommand() {
        var chunk = [UInt8](repeating: 0, count: 512)
        while readable && !answering {
            let r = chunk.withUnsafeMutableBytes { transport.read(into: $0) }
            switch r {
            case .bytes(let n):
                line.append(contentsOf: chunk[0..<n])
                if let nl = line.firstIndex(of: 10) {
                    answer(String(decoding: line[0..<nl], as: UTF8.self))
                } else if line.count > StatsSession.maxLine {
                    answer("")
                }
            case .wouldBlock: readable = false
            case .eof:
                // A client may send the command without a newline and shut down its side.
                if line.isEmpty { close() } else { answer(String(decoding: line, as: UTF8.self)) }
                return
            case .error:
                close()
                return
            }
        }
    }

    private func answer(_ text: String) {
        answering = true
        writable = true
        server.commands &+= 1
        let provider = server.provider
        switch StatsCommand.parse(text) {
        case .help:
            writer.raw(StatsCommand.helpJSON)
        case .showInfo:
            provider.writeInfo(into: &writer)
        case .showStats:
            provider.writeStats(into: &writer)
        case .showConfigErrors:
            provider.writeConfigErrors(into: &writer)
        case .showConns:
            rows = provider.connectionSnapshot()
            writer.beginObject()
            writer.field("count", rows.count)
            writer.key("conns")
            writer.beginArray()
            if rows.isEmpty { finishConns() }
        case .unknown(let what):
            writer.beginObject()
            writer.field("error", what.isEmpty ? "empty command; try help" : "unknown command: \(what); try help")
            writer.endObject()
        }
        if rows.isEmpty { writer.raw("\n") }
        output = writer.takeBytes()
    }

    private func finishConns() {
        writer.endArray()
        writer.endObject()
    }

    /// Sends what is buffered; refills from the remaining `show conns` rows when the buffer is out.
    private func pumpOutput() {
        while writable {
            if sent == output.count {
                output.removeAll(keepingCapacity: true)
                sent = 0
                guard nextRow < rows.count else {
                    close()
                    return
                }
                let end = min(nextRow + StatsSession.batch, rows.count)
                let now = server.loop.now
                for i in nextRow..<end { rows[i].describe(into: &writer, now: now) }
                nextRow = end
                if nextRow == rows.count {
                    finishConns()
                    writer.raw("\n")
                }
                output = writer.takeBytes()
            }
            let r = output.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch r {
            case .bytes(let n): sent += n
            case .wouldBlock: writable = false
            case .eof, .error:
                close()
                return
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { server.loop.cancel(t) }
        timer = nil
        if let t = token { server.loop.deregister(t) }
        transport.close()
        rows = []
        server.ended(self)
    }
}
