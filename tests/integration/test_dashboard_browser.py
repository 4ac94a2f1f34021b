"""The operator's dashboard (/dashboard/) in a real browser: Debian's chromium, headless, driven by Selenium
through Debian's chromedriver (/usr/bin/chromedriver; nothing is downloaded at test time). One browser for
the module; per backend one stoep with DNS and a file-provider route. The page must show the health line
within 2 s, its numbers must move with real DNS and HTTP traffic and end equal to `stoep stats --json`, a
broken file-provider file must be named with its line in the health line, the page must come back by
itself after stoep restarts, and the browser console must stay free of errors. Screenshots at phone
(360x800) and desktop (1280x900) widths are kept in .build/dashboard-screenshots/."""
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, free_port, poll_until
from dns_upstream import FakeUpstream, ask
from http_backend import Backend
from test_proxy import get

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = ROOT / ".build" / "dashboard-screenshots"

pytestmark = pytest.mark.skipif(not CHROMEDRIVER.exists() or shutil.which("chromium") is None,
                                reason="Debian's chromium and chromium-driver are not installed (make deps)")


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(10)
    yield driver
    driver.quit()


def routes(origin_url, broken=False):
    text = f"""http:
  routers:
    app:
      rule: "Host(`app.test`)"
      entryPoints: [web]
      service: appsvc
  services:
    appsvc:
      loadBalancer:
        servers:
          - url: "{origin_url}"
"""
    # Line 12: a mapping that never closes (the parser names this file and a line).
    return text + ("    oops: {url: [\n" if broken else "")


def start_box(stoep, origin, upstream):
    web, dash, dns_port = free_port(), free_port(), free_port()
    d = stoep.workdir / "dynamic"
    d.mkdir(exist_ok=True)
    (d / "routes.yml").write_text(routes(origin.url))
    static = stoep.workdir / "traefik.yml"
    static.write_text(f"""global: {{checkNewVersion: false, sendAnonymousUsage: false}}
entryPoints:
  web: {{address: "127.0.0.1:{web}"}}
  traefik: {{address: "127.0.0.1:{dash}"}}
api: {{insecure: true, dashboard: true}}
providers:
  file: {{directory: "{d}", watch: true}}
""")
    conf = stoep.workdir / "dnsmasq.conf"
    conf.write_text(f"port={dns_port}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\nserver={upstream.address}\n"
                    "address=/local.example/10.0.0.1\n")
    args = ("--traefik-config", str(static), "--dnsmasq-conf", str(conf))
    stoep.start(*args)
    return web, dash, dns_port, args


def stats_json(stoep, command="show stats"):
    out = subprocess.run([str(BINARY), "stats", "--stats-socket", str(stoep.sock), "--json", command],
                         capture_output=True, text=True, check=True, timeout=10).stdout
    return json.loads(out)


def counter_sum(stats, name, **labels):
    return sum(s["value"] for s in stats["counters"].get(name, [])
               if all(s["labels"].get(k) == v for k, v in labels.items()))


def value(driver, css):
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.dataset.v : null;", css)


def console_errors(driver, allow=()):
    entries = driver.get_log("browser")
    return [e for e in entries if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]


def screenshot(driver, name, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, height)
    time.sleep(0.3)  # one layout pass at the new width
    # No sideways scrolling of the page itself: wide tables scroll inside their own box.
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow} px wider than the window"
    driver.save_screenshot(str(SHOTS / name))


def test_dashboard_in_a_browser(stoep, browser):
    origin = Backend()
    upstream = FakeUpstream(records={"fwd.example": [("A", "192.0.2.80")]})
    try:
        web, dash, dns_port, args = start_box(stoep, origin, upstream)
        browser.get_log("browser")  # start with an empty console
        browser.set_window_size(1280, 900)
        loaded = time.time()
        browser.get(f"http://127.0.0.1:{dash}/dashboard/")
        poll_until(lambda: browser.execute_script("return document.getElementById('health').className").strip() in
             ("health ok", "health bad"), 2.0, "the health line within 2 s of load")
        assert time.time() - loaded < 2.0
        title = browser.find_element("id", "health-title").text
        assert title.startswith("All is well"), title

        # Traffic: real HTTP through the app router, real DNS (local, forwarded, then cached).
        for _ in range(40):
            r, _ = get(web, "/x", host="app.test")
            assert r.status == 200
        for _ in range(20):
            assert ask(dns_port, "local.example").answer
        for _ in range(10):
            assert ask(dns_port, "fwd.example").answer
        # The rates move while the traffic is recent.
        poll_until(lambda: float(value(browser, "#dns-qps") or 0) > 0 and float(value(browser, "#http-rps") or 0) > 0, 4,
             "non-zero HTTP and DNS rates")
        # Then the totals settle on what the stats socket says.
        def settled():
            s = stats_json(stoep)
            dns_total, app_total = counter_sum(s, "dns_queries"), counter_sum(s, "router_requests", router="app@file")
            page_dns = value(browser, "#dns-total")
            page_app = browser.execute_script(
                "for (const tr of document.querySelectorAll('#traffic-routers tbody tr'))"
                " if (tr.firstChild.textContent === 'app@file') return tr.lastChild.dataset.v; return null;")
            return dns_total == 30 and app_total == 40 and page_dns == str(dns_total) and page_app == str(app_total)
        poll_until(settled, 5, "page totals equal to `stoep stats --json`")
        names = browser.find_element("id", "dns-names").text
        assert "local.example" in names and "fwd.example" in names, names
        split = browser.find_element("id", "dns-split").text
        assert "forwarded" in split and "cached" in split
        config = browser.find_element("id", "config-routers").text
        assert "app@file" in config and "Host(`app.test`)" in config and "routes.yml:" in config
        assert origin.url in browser.find_element("id", "config-services").text
        box = browser.find_element("id", "box").text
        assert stoep.backend in box and "Open descriptors" in box and "MiB" in box

        screenshot(browser, f"{stoep.backend}-desktop.png", 1280, 900)
        screenshot(browser, f"{stoep.backend}-phone.png", 360, 800)
        browser.set_window_size(1280, 900)

        # A broken file: the health line names the file and the line, as `show config-errors` does.
        (stoep.workdir / "dynamic" / "routes.yml").write_text(routes(origin.url, broken=True))
        errors = poll_until(lambda: stats_json(stoep, "show config-errors")["errors"], 5, "the parse error reported")
        where = f"{errors[0]['source']}:{errors[0]['line']}"
        assert errors[0]["source"].endswith("routes.yml") and errors[0]["line"] > 0, errors
        poll_until(lambda: where in browser.find_element("id", "health").text, 4, f"{where} in the health line")
        assert browser.find_element("id", "health").get_attribute("class") == "health bad"
        assert console_errors(browser) == []

        # stoep restarts: the page says so, then picks up the new process by itself.
        stoep.stop()
        poll_until(lambda: "cannot be reached" in browser.find_element("id", "conn").text, 5, "the page notices stoep is gone")
        (stoep.workdir / "dynamic" / "routes.yml").write_text(routes(origin.url))
        stoep.start(*args)
        poll_until(lambda: browser.find_element("id", "conn").text.startswith("live")
             and browser.find_element("id", "health-title").text.startswith("All is well"), 6, "reconnected")
        # Only the refused polls while stoep was down may have reached the console.
        assert console_errors(browser, allow=("live.json - Failed to load resource", "net::ERR_CONNECTION_REFUSED")) == []
    finally:
        origin.close()
        upstream.close()
