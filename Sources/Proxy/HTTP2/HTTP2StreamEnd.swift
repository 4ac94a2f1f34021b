// What both kinds of HTTP/2 connection (to clients, to backends) share between nghttp2 and the sessions:
// the streams' common face (HTTP2StreamEnd) and the callbacks that reach it; callbacks queue the streams
// that have news (HTTP2Wakes); after nghttp2 returned the queue is delivered (so no session
// runs inside an nghttp2 call); and a session that wrote while the connection was not being serviced asks
// for one service on the next loop turn.
import CNGHTTP2
import Reactor

/// A stream of either side as nghttp2's callbacks reach it through its `stream_user_data` (HTTP2Stream to a
/// client, HTTP2UpstreamStream to a backend): what both kinds of callbacks call is here, dispatched by class.
class HTTP2StreamEnd {
    /// Queued for `deliver` (HTTP2Wakes).
    var queued = false
    /// Passes what the callbacks recorded on to the stream's session.
    func deliver() {}
    /// DATA payload arrived (counted against the windows until the session read it).
    func dataArrived(_ data: UnsafeRawBufferPointer) {}
    /// nghttp2 closed the stream (both sides ended, a reset, the connection's end).
    func closedByLibrary(errorCode: UInt32) {}
    /// nghttp2's data source: up to `max` bytes of what the stream sends, for a DATA frame.
    func takeBody(into buf: UnsafeMutablePointer<UInt8>, max: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }

    @inline(__always)
    static func of(_ session: OpaquePointer?, _ id: Int32) -> HTTP2StreamEnd? {
        guard let p = nghttp2_session_get_stream_user_data(session, id) else { return nil }
        return Unmanaged<HTTP2StreamEnd>.fromOpaque(p).takeUnretainedValue()
    }

    // The callbacks both kinds of session share.

    /// A callbacks object with the side's own header and frame callbacks and the shared DATA, close ones
    /// (made once per side: nghttp2 copies it into each session).
    static func callbacks(beginHeaders: nghttp2_on_begin_headers_callback, header: nghttp2_on_header_callback,
                          frameRecv: nghttp2_on_frame_recv_callback, frameSend: nghttp2_on_frame_send_callback?) -> OpaquePointer? {
        var cbs: OpaquePointer? = nil
        guard nghttp2_session_callbacks_new(&cbs) == 0, let c = cbs else { return nil }
        nghttp2_session_callbacks_set_on_begin_headers_callback(c, beginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(c, header)
        nghttp2_session_callbacks_set_on_frame_recv_callback(c, frameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(c, onStreamClose)
        if let frameSend { nghttp2_session_callbacks_set_on_frame_send_callback(c, frameSend) }
        return c
    }

    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { session, _, id, data, len, _ in
        guard let s = of(session, id), let data else {
            // A stream we no longer follow: give its window back at once.
            nghttp2_session_consume(session, id, len)
            return 0
        }
        s.dataArrived(UnsafeRawBufferPointer(start: data, count: len))
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { session, id, errorCode, _ in
        guard let s = of(session, id) else { return 0 }
        nghttp2_session_set_stream_user_data(session, id, nil)
        s.closedByLibrary(errorCode: errorCode)
        return 0
    }

    /// The data source of every body stoep sends (a response to a client, a request to a backend).
    static let readBody: nghttp2_data_source_read_callback = { session, id, buf, length, flags, _, _ in
        guard let s = of(session, id), let buf, let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        return s.takeBody(into: buf, max: length, flags: flags)
    }
}

/// A class, not a struct: a delivery may queue another stream while the queue is being delivered.
final class HTTP2Wakes<Stream: HTTP2StreamEnd> {
    private var queue: [Stream] = []
    private let loop: EventLoop
    private var timer: Timer?
    private let service: () -> Void

    /// `service`: the connection's service (called from a zero timer; it must hold its owner unowned).
    init(loop: EventLoop, service: @escaping () -> Void) {
        self.loop = loop
        self.service = service
    }

    /// Queues `stream` once until delivered. True when it was not queued yet.
    @discardableResult
    func add(_ stream: Stream) -> Bool {
        guard !stream.queued else { return false }
        stream.queued = true
        queue.append(stream)
        return true
    }

    /// Delivers the queue in arrival order (streams queued meanwhile too) until `stop` says the connection
    /// ended. True when any stream was delivered.
    func deliver(stop: () -> Bool) -> Bool {
        guard !queue.isEmpty else { return false }
        var i = 0
        while i < queue.count {
            let s = queue[i]
            s.queued = false
            s.deliver()
            if stop() { return true }
            i += 1
        }
        queue.removeAll(keepingCapacity: true)
        return true
    }

    /// One service on the next loop turn (the caller checks it is not in one now).
    func requestService() {
        let t = timer ?? Timer { [service] _ in service() }
        timer = t
        if !t.isScheduled { loop.schedule(t, after: 0) }
    }

    /// The connection ends: nothing more is delivered or scheduled.
    func cancel() {
        if let t = timer { loop.cancel(t) }
        timer = nil
        queue.removeAll()
    }
}
