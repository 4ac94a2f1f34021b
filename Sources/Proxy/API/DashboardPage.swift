// The operator's page at /dashboard/: one HTML document with its stylesheet (DashboardStyle) and script
// (DashboardScript) inline, so a phone on a slow link needs one request before it polls live.json. The
// page holds no data: the script fills it from /dashboard/live.json every second and keeps the
// sparklines' history itself, so stoep keeps nothing for a watcher between requests (docs/api.md).
// Gzip-compressed once on the first request that accepts it (TraefikAPIHandler keeps those bytes).
enum DashboardPage {
    /// The whole page; `communityCA` is the community CA's "install this once" section (trusted HTML made
    /// by CommunityCARoot, names escaped there), placed before the footer when the box has one.
    static func html(communityCA: String?) -> String {
        head + DashboardStyle.css + body + (communityCA.map { "<section id=\"community-ca\">\n" + $0 + "\n</section>\n" } ?? "")
            + footer + DashboardScript.js + "</script>\n</body>\n</html>\n"
    }

    /// `text` gzip-compressed at zlib's best level (it is done once), nil when zlib cannot allocate.
    static func gzip(_ text: String) -> [UInt8]? {
        guard let encoder = GzipEncoder(level: 9) else { return nil }
        var out: [UInt8] = []
        let ok = Array(text.utf8).withUnsafeBytes { encoder.encode($0, .finish, into: &out) }
        return ok ? out : nil
    }

    private static let head = #"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>stoep</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<style>

"""#

    // Every number the script writes carries data-v (the raw value) so tests and scripts can read it.
    private static let body = #"""
</style></head><body><main>
<header><h1>stoep</h1><span id="conn" class="conn">connecting…</span></header>
<section id="health" class="health" role="status" aria-live="polite"><b id="health-title">Checking…</b><ul id="health-list"></ul></section>
<section id="nodes" hidden><h2>Nodes</h2><div class="tiles" id="node-cards"></div><p id="nodes-summary" class="mute"></p></section>

<h2>Traffic</h2>
<div class="tiles">
<div class="tile"><div class="k">HTTP requests</div><div class="v"><span id="http-rps">–</span></div><svg id="spark-http" class="spark" viewBox="0 0 120 28" preserveAspectRatio="none"></svg><div class="s">total <span id="http-total">–</span></div></div>
<div class="tile"><div class="k">HTTP errors (5xx)</div><div class="v"><span id="http-5xx">–</span></div><svg id="spark-5xx" class="spark c5" viewBox="0 0 120 28" preserveAspectRatio="none"></svg><div class="s" id="http-classes">–</div></div>
<div class="tile"><div class="k">Latency, last minute</div><div class="v"><span id="http-p50">–</span></div><div class="s">p50 · p99 <span id="http-p99">–</span></div></div>
<div class="tile"><div class="k">Open connections</div><div class="v"><span id="open-conns">–</span></div><svg id="spark-conns" class="spark" viewBox="0 0 120 28" preserveAspectRatio="none"></svg></div>
<div class="tile"><div class="k">Bytes to clients</div><div class="v"><span id="bytes-out">–</span></div><div class="s">from clients <span id="bytes-in">–</span></div></div>
<div class="tile"><div class="k">DNS queries</div><div class="v"><span id="dns-qps">–</span></div><svg id="spark-dns" class="spark" viewBox="0 0 120 28" preserveAspectRatio="none"></svg><div class="s">total <span id="dns-total">–</span></div></div>
<div class="tile"><div class="k">DNS answers</div><div class="s" id="dns-split">–</div><div class="s">upstream failures <span id="dns-failures">–</span></div></div>
</div>
<h3>Per router</h3>
<div class="scroll"><table id="traffic-routers"><thead><tr><th>Router</th><th>req/s</th><th>last 2 min</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>p50</th><th>p99</th><th>total</th></tr></thead><tbody></tbody></table></div>
<h3>Per service</h3>
<div class="scroll"><table id="traffic-services"><thead><tr><th>Service</th><th>req/s</th><th>last 2 min</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>p50</th><th>p99</th><th>out/s</th></tr></thead><tbody></tbody></table></div>
<div class="two">
<div><h3>Most asked names</h3><div class="scroll"><table id="dns-names"><thead><tr><th>Name</th><th>queries</th></tr></thead><tbody></tbody></table></div></div>
<div><h3>Busiest clients</h3><div class="scroll"><table id="dns-clients"><thead><tr><th>Client</th><th>queries</th><th>blocked</th><th>cached</th><th>forwarded</th><th>local</th></tr></thead><tbody></tbody></table></div></div>
</div>

<h2>Configuration</h2>
<h3>Routers</h3>
<div class="scroll"><table id="config-routers"><thead><tr><th>Router</th><th>Status</th><th>Rule</th><th>Entry points</th><th>Middlewares</th><th>Service</th><th>TLS</th><th>Defined in</th></tr></thead><tbody></tbody></table></div>
<h3>Services</h3>
<div class="scroll"><table id="config-services"><thead><tr><th>Service</th><th>Status</th><th>Servers (weight, health)</th><th>Used by</th></tr></thead><tbody></tbody></table></div>
<h3>Certificates</h3>
<div class="scroll"><table id="config-certificates"><thead><tr><th>Names</th><th>Issuer</th><th>Expires</th><th>From</th></tr></thead><tbody></tbody></table></div>
<div id="acme"></div>
<h3>Docker</h3>
<div id="docker" class="mute">–</div>
<div class="scroll"><table id="config-containers"><thead><tr><th>Container</th><th>Routers</th><th>Services</th></tr></thead><tbody></tbody></table></div>

<h2>The box</h2>
<dl class="box" id="box"></dl>

"""#

    private static let footer = #"""
<footer>Data: <a href="live.json">live.json</a> (docs/api.md) · Traefik API: <a href="../api/overview">/api/overview</a>,
<a href="../api/http/routers">/api/http/routers</a>, <a href="../api/http/services">/api/http/services</a></footer>
</main>
<script>

"""#
}
