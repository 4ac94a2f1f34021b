// The dashboard page's stylesheet (embedded: these networks often have no uplink, so no CDN and no web
// fonts). One column on a 360-px phone, tiles two abreast; wide tables scroll sideways inside their box
// instead of widening the page. Light and dark follow the system's prefers-color-scheme.
enum DashboardStyle {
    static let css = #"""
:root{--bg:#f7f7f5;--fg:#1d1d1b;--mute:#5f6368;--card:#fff;--line:#dcdcd6;--ok:#1b7f3b;--warn:#a05a00;--bad:#b3261e;--accent:#2458b3;--okbg:#e6f4ea;--badbg:#fce8e6;--warnbg:#fff4e0}
@media (prefers-color-scheme:dark){:root{--bg:#151515;--fg:#e8e8e3;--mute:#a0a39f;--card:#1f1f1e;--line:#3a3a37;--ok:#6fcf8a;--warn:#f0b35a;--bad:#ff8a80;--accent:#8ab4f8;--okbg:#1d3325;--badbg:#3b1f1d;--warnbg:#3a2c14}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1200px;margin:0 auto;padding:.6em .8em 2em}
header{display:flex;align-items:baseline;gap:.8em;flex-wrap:wrap}
h1{font-size:1.3em;margin:.3em 0}
h2{font-size:1.1em;margin:1.4em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:.95em;margin:1em 0 .4em;color:var(--mute)}
.conn{font-size:.85em;color:var(--mute)}
.conn.down{color:var(--bad);font-weight:600}
.health{border-radius:8px;padding:.7em .9em;margin:.5em 0;border:1px solid var(--line);background:var(--card)}
.health.ok{background:var(--okbg);border-color:var(--ok)}
.health.bad{background:var(--badbg);border-color:var(--bad)}
.health b{font-size:1.05em}
.health ul{margin:.4em 0 0;padding-left:1.2em}
.health li{margin:.15em 0;overflow-wrap:anywhere}
.where{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.5em}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5em .6em;min-width:0}
.tile .k{font-size:.8em;color:var(--mute)}
.tile .v{font-size:1.35em;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.tile .s{font-size:.8em;color:var(--mute);font-variant-numeric:tabular-nums}
svg.spark{display:block;width:100%;height:28px;margin-top:.2em}
svg.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.5;vector-effect:non-scaling-stroke}
svg.spark.c5 polyline{stroke:var(--bad)}
svg.spark.idle polyline{stroke:var(--line)}
td svg.spark{width:90px;height:18px;margin:0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.88em}
th,td{padding:.3em .5em;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{font-weight:600;color:var(--mute);white-space:nowrap}
tr:last-child td{border-bottom:0}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
.st-enabled,.st-UP{color:var(--ok)}.st-warning{color:var(--warn)}.st-disabled,.st-DOWN{color:var(--bad);font-weight:600}
.err{color:var(--bad);font-size:.9em}
.mute{color:var(--mute)}
dl.box{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2em .9em;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6em .8em}
dl.box dt{color:var(--mute)}dl.box dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.two{display:grid;grid-template-columns:minmax(0,1fr);gap:.5em}.two>div{min-width:0}
@media (min-width:760px){.two{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}body{font-size:14px}}
footer{margin-top:2em;font-size:.8em;color:var(--mute)}
a{color:var(--accent)}
"""#
}
