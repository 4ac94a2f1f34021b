"""A real gRPC server (Python grpcio) for the proxy tests, without protoc: generic handlers on raw bytes.

Methods of service `svc`:
- Unary: echoes the request; initial metadata x-init=i1, trailing metadata x-trail=t1 and a binary one.
- ServerStream: the request is b"<count>:<size>": `count` messages of `size` bytes each.
- ClientStream: the concatenated requests' SHA-256 hex digest and their total length.
- Bidi: echoes every message as it comes, upper-cased.
- AbortEarly: reads one message of a client stream, then aborts with RESOURCE_EXHAUSTED while the client
  is still sending.
- Fail: aborts with PERMISSION_DENIED and a message with non-ASCII text (percent-encoded on the wire).
- Big: returns the SHA-256 of the request and `n` bytes (b"big:<n>" asks for n) — for 10 MB each way.
"""
import hashlib
import time
from concurrent import futures

import grpc

MAX = 64 * 1024 * 1024
OPTIONS = [("grpc.max_receive_message_length", MAX), ("grpc.max_send_message_length", MAX)]


def _unary(request, context):
    context.send_initial_metadata((("x-init", "i1"),))
    context.set_trailing_metadata((("x-trail", "t1"), ("x-bin-bin", b"\x00\x01\xff")))
    return request


def _server_stream(request, context):
    count, size = (int(x) for x in request.split(b":"))
    for i in range(count):
        yield bytes([65 + i % 26]) * size
    context.set_trailing_metadata((("x-count", str(count)),))


def _client_stream(request_iterator, context):
    h, n = hashlib.sha256(), 0
    for r in request_iterator:
        h.update(r)
        n += len(r)
    return f"{h.hexdigest()}:{n}".encode()


def _bidi(request_iterator, context):
    for r in request_iterator:
        yield r.upper()


def _abort_early(request_iterator, context):
    next(request_iterator)
    context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "enough after one")


def _fail(request, context):
    context.abort(grpc.StatusCode.PERMISSION_DENIED, "nope: zürich 100%")


def _big(request, context):
    if request.startswith(b"big:"):
        return bytes(range(256)) * (int(request[4:]) // 256)
    return hashlib.sha256(request).hexdigest().encode()


def _ident(b):
    return b


HANDLERS = {
    "Unary": grpc.unary_unary_rpc_method_handler(_unary, request_deserializer=_ident, response_serializer=_ident),
    "ServerStream": grpc.unary_stream_rpc_method_handler(_server_stream, request_deserializer=_ident,
                                                         response_serializer=_ident),
    "ClientStream": grpc.stream_unary_rpc_method_handler(_client_stream, request_deserializer=_ident,
                                                         response_serializer=_ident),
    "Bidi": grpc.stream_stream_rpc_method_handler(_bidi, request_deserializer=_ident, response_serializer=_ident),
    "AbortEarly": grpc.stream_unary_rpc_method_handler(_abort_early, request_deserializer=_ident,
                                                       response_serializer=_ident),
    "Fail": grpc.unary_unary_rpc_method_handler(_fail, request_deserializer=_ident, response_serializer=_ident),
    "Big": grpc.unary_unary_rpc_method_handler(_big, request_deserializer=_ident, response_serializer=_ident),
}


class GRPCBackend:
    """A grpcio server on 127.0.0.1: h2c, or TLS when `tls` = (cert PEM, key PEM)."""

    def __init__(self, port, tls=None, max_streams=None):
        opts = list(OPTIONS)
        if max_streams:
            opts.append(("grpc.max_concurrent_streams", max_streams))
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=opts)
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("svc", HANDLERS),))
        if tls:
            creds = grpc.ssl_server_credentials([(tls[1], tls[0])])
            self.server.add_secure_port(f"127.0.0.1:{port}", creds)
        else:
            self.server.add_insecure_port(f"127.0.0.1:{port}")
        self.server.start()
        self.port = port

    def close(self):
        self.server.stop(0)


def call_all(channel):
    """Every kind of call through `channel`; what the client saw, comparable between proxies."""
    seen = {}
    uu = channel.unary_unary("/svc/Unary", request_serializer=_ident, response_deserializer=_ident)
    resp, call = uu.with_call(b"hello", metadata=(("x-req", "r1"),), timeout=10)
    seen["unary"] = (resp, call.code(), call.details(), sorted(tuple(m) for m in call.initial_metadata()),
                     sorted(tuple(m) for m in call.trailing_metadata()))
    us = channel.unary_stream("/svc/ServerStream", request_serializer=_ident, response_deserializer=_ident)
    it = us(b"5:1000", timeout=10)
    msgs = list(it)
    seen["server_stream"] = ([len(m) for m in msgs], [m[:1] for m in msgs], it.code(),
                             sorted(tuple(m) for m in it.trailing_metadata()))
    su = channel.stream_unary("/svc/ClientStream", request_serializer=_ident, response_deserializer=_ident)
    parts = [bytes([i]) * (1000 * (i + 1)) for i in range(20)]
    resp, call = su.with_call(iter(parts), timeout=10)
    seen["client_stream"] = (resp, hashlib.sha256(b"".join(parts)).hexdigest(), call.code())
    ss = channel.stream_stream("/svc/Bidi", request_serializer=_ident, response_deserializer=_ident)
    it = ss(iter([b"a", b"bc", b"def"] * 10), timeout=10)
    seen["bidi"] = (list(it), it.code())
    ab = channel.stream_unary("/svc/AbortEarly", request_serializer=_ident, response_deserializer=_ident)

    def slow_parts():
        for i in range(40):
            yield bytes([i]) * 20000
            time.sleep(0.005)
    try:
        ab(slow_parts(), timeout=10)
        seen["abort_early"] = "no error"
    except grpc.RpcError as e:
        seen["abort_early"] = (e.code(), e.details())
    for name in ("Fail", "Nope"):
        m = channel.unary_unary(f"/svc/{name}", request_serializer=_ident, response_deserializer=_ident)
        try:
            m(b"x", timeout=10)
            seen[name] = "no error"
        except grpc.RpcError as e:
            seen[name] = (e.code(), e.details(), sorted(tuple(m) for m in (e.trailing_metadata() or ())))
    return seen
