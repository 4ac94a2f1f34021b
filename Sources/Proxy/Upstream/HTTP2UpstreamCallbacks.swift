// nghttp2's callbacks for the client sessions of HTTP2UpstreamConnection, as @convention(c) closures, and
// the session set-up. `user_data` is the connection (unretained: it owns the session and deletes it before
// it goes), each stream's `stream_user_data` its HTTP2UpstreamStream (kept by the connection's table while
// nghttp2 knows it). As on the client side (HTTP2Callbacks), callbacks only record and queue.
import CNGHTTP2

enum HTTP2UpstreamCallbacks {
    nonisolated(unsafe) private static let callbacks = HTTP2StreamEnd.callbacks(
        beginHeaders: onBeginHeaders, header: onHeader, frameRecv: onFrameRecv, frameSend: nil)

    /// A client session with our SETTINGS (no push, 256 KiB stream windows) and the connection window
    /// opened; the connection preface goes out with the first write. One stream goes on the wire until the
    /// server's SETTINGS tell its limit (HTTP2UpstreamConnection.hasRoom). nil when nghttp2 cannot allocate.
    static func makeSession(for connection: HTTP2UpstreamConnection) -> OpaquePointer? {
        guard let cbs = callbacks else { return nil }
        return HTTP2Callbacks.makeSession(server: false, callbacks: cbs, userData: Unmanaged.passUnretained(connection).toOpaque(),
                                          settings: [(NGHTTP2_SETTINGS_ENABLE_PUSH, 0),
                                                     (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, UInt32(HTTP2UpstreamConnection.streamWindow))],
                                          connectionWindow: HTTP2UpstreamConnection.connectionWindow, peerStreams: 1)
    }

    @inline(__always)
    static func connection(_ ud: UnsafeMutableRawPointer?) -> HTTP2UpstreamConnection {
        Unmanaged<HTTP2UpstreamConnection>.fromOpaque(ud!).takeUnretainedValue()
    }

    @inline(__always)
    static func stream(_ session: OpaquePointer?, _ id: Int32) -> HTTP2UpstreamStream? {
        guard let p = nghttp2_session_get_stream_user_data(session, id) else { return nil }
        return Unmanaged<HTTP2UpstreamStream>.fromOpaque(p).takeUnretainedValue()
    }

    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { session, frame, _ in
        guard let f = frame?.pointee, f.hd.type == HTTP2Callbacks.frameHeaders, let s = stream(session, f.hd.stream_id) else { return 0 }
        s.beginHeaders()
        return 0
    }

    /// nghttp2 already checked the response's fields (RFC 9113 §8.2, `:status` present and alone).
    private static let onHeader: nghttp2_on_header_callback = { session, frame, name, namelen, value, valuelen, _, _ in
        guard let f = frame?.pointee, let s = stream(session, f.hd.stream_id), let name, let value else { return 0 }
        s.responseField(UnsafeBufferPointer(start: name, count: namelen), UnsafeBufferPointer(start: value, count: valuelen))
        return 0
    }

    private static let onFrameRecv: nghttp2_on_frame_recv_callback = { session, frame, ud in
        guard let f = frame?.pointee else { return 0 }
        let ends = f.hd.flags & HTTP2Callbacks.endStream != 0
        switch f.hd.type {
        case HTTP2Callbacks.frameHeaders:
            stream(session, f.hd.stream_id)?.headersDone(endStream: ends)
        case HTTP2Callbacks.frameData where ends:
            stream(session, f.hd.stream_id)?.ended()
        case HTTP2Callbacks.frameGoaway:
            connection(ud).goAwayReceived()
        case frameSettings where f.hd.flags & ack == 0:
            connection(ud).settingsArrived()
        case framePing where f.hd.flags & ack != 0:
            connection(ud).pingAcknowledged()
        default: break
        }
        return 0
    }



    static let frameSettings = UInt8(NGHTTP2_SETTINGS.rawValue)
    static let framePing = UInt8(NGHTTP2_PING.rawValue)
    static let ack = UInt8(NGHTTP2_FLAG_ACK.rawValue)

}
