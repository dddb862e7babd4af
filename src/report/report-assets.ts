/**
 * The report page's own stylesheet and script: constants of this program, never built from data (the page's
 * Content-Security-Policy admits this one script by its hash and nothing else). The page is complete without the
 * script; it only adds the toolbar (problems only, expand/collapse all) and opens the details a bar links to.
 */
export const REPORT_CSS = `
:root{--bg:#fff;--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--panel:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;
--run:#0969da;--off:#8c959f;--wait:#bf8700;--label:18rem;--dur:6.5rem;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--panel:#161b22;
--ok:#3fb950;--bad:#f85149;--warn:#d29922;--run:#4493f8;--off:#6e7681;--wait:#d29922}}
*{box-sizing:border-box}
body{margin:0;padding:1.5rem 2rem 3rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.45rem;margin:0 0 .4rem;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
h1 small,.muted{color:var(--muted);font-weight:normal}
h2{font-size:1.1rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
h4{font-size:.85rem;margin:.9rem 0 .3rem;color:var(--muted);font-weight:600}
a{color:var(--run)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}
.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.8rem;font-weight:600;color:#fff;background:var(--off);white-space:nowrap}
.badge.s-succeeded,.badge.s-cached{background:var(--ok)}.badge.s-failed{background:var(--bad)}.badge.s-skipped{background:var(--warn)}
.badge.s-running,.badge.s-in_progress,.badge.s-queued{background:var(--run)}.badge.s-cancelled,.badge.s-pending{background:var(--off)}
.note{border-left:3px solid var(--warn);background:var(--panel);padding:.4rem .8rem;margin:.6rem 0}
.summary{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;white-space:pre-wrap;overflow-wrap:anywhere}
.toolbar{display:flex;gap:.5rem;margin:.8rem 0}.toolbar[hidden]{display:none}
.toolbar button{font:inherit;padding:.2rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);cursor:pointer}
.toolbar button[aria-pressed=true]{border-color:var(--run);color:var(--run)}
.legend{display:flex;gap:1rem;flex-wrap:wrap;color:var(--muted);font-size:.85rem;margin-bottom:.5rem}
.legend i{display:inline-block;width:.9rem;height:.6rem;border-radius:2px;margin-right:.3rem;vertical-align:middle}
.gantt{border:1px solid var(--line);border-radius:6px;overflow:hidden}
.row{display:grid;grid-template-columns:var(--label) 1fr var(--dur);align-items:center;min-height:1.7rem;border-top:1px solid var(--line)}
.row:first-child{border-top:0}
.row.cmd-row{content-visibility:auto;contain-intrinsic-size:auto 1.7rem}
.row>.label{padding:0 .6rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.row>.dur{padding:0 .6rem;text-align:right;color:var(--muted);white-space:nowrap;font-variant-numeric:tabular-nums}
.row.axis{background:var(--panel);min-height:1.5rem;font-size:.75rem;color:var(--muted)}
.row.child-head{background:var(--panel);font-size:.85rem;color:var(--muted)}
.row.problem>.label a{color:var(--bad);font-weight:600}
.row.s-skipped>.label a{color:var(--warn)}
.track{position:relative;height:1.7rem;margin:0 .5rem}
.axis .track{height:1.5rem}
.tick{position:absolute;top:0;bottom:0;border-left:1px solid var(--line);padding-left:3px;line-height:1.5rem;white-space:nowrap}
.gridline{position:absolute;top:0;bottom:0;border-left:1px dashed var(--line);opacity:.6}
.bar{position:absolute;top:.35rem;height:1rem;min-width:2px;border-radius:3px;background:var(--off);display:block;overflow:hidden}
.bar.sub{top:.55rem;height:.6rem;opacity:.75}
.bar.earlier{opacity:.35}
.bar.s-succeeded,.bar.s-cached{background:var(--ok)}.bar.s-failed{background:var(--bad)}.bar.s-skipped{background:var(--warn)}
.bar.s-cancelled{background:var(--off)}
.bar.s-running{background:repeating-linear-gradient(45deg,var(--run) 0 6px,color-mix(in srgb,var(--run) 60%,var(--bg)) 6px 12px)}
.attempt{position:absolute;top:0;bottom:0;min-width:1px}
.attempt.a-failed{background:var(--bad)}.attempt.a-succeeded{background:var(--ok)}.attempt.a-running{background:var(--run)}
.wait{position:absolute;top:0;bottom:0;background:repeating-linear-gradient(90deg,var(--wait) 0 2px,transparent 2px 4px)}
.notrun{color:var(--muted);font-size:.8rem;padding-left:.2rem}
.depth-1>.label{padding-left:1.8rem}.depth-2>.label{padding-left:3rem}.depth-3>.label{padding-left:4.2rem}.depth-4>.label{padding-left:5.4rem}
.idx{display:inline-block;min-width:1.6rem;color:var(--muted);font-variant-numeric:tabular-nums}
.mark{margin-left:.3rem}
details.cmd{border:1px solid var(--line);border-radius:6px;margin:.5rem 0;background:var(--bg);content-visibility:auto;contain-intrinsic-size:auto 2.4rem}
details.cmd>summary{cursor:pointer;padding:.45rem .8rem;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
details.cmd[open]>summary{border-bottom:1px solid var(--line);background:var(--panel)}
details.cmd:target{outline:2px solid var(--run)}
details.cmd>.body{padding:.4rem .9rem .8rem}
details.cmd.s-failed{border-left:4px solid var(--bad)}details.cmd.s-skipped{border-left:4px solid var(--warn)}
.child-run{margin-left:1.2rem;padding-left:.8rem;border-left:2px solid var(--line)}
pre.out{margin:0;max-height:24rem;overflow:auto;background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;white-space:pre-wrap;overflow-wrap:anywhere}
pre.cmdline{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.3rem 0}th,td{border:1px solid var(--line);padding:.2rem .6rem;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
.only-problems .row.cmd-row:not(.problem),.only-problems details.cmd:not(.problem){display:none}
.t0{color:#000}.t1{color:#c01c28}.t2{color:#26a269}.t3{color:#a2734c}.t4{color:#12488b}.t5{color:#a347ba}.t6{color:#2aa1b3}.t7{color:#8c959f}
.t8{color:#5e5c64}.t9{color:#f66151}.t10{color:#33d17a}.t11{color:#c5a012}.t12{color:#2a7bde}.t13{color:#c061cb}.t14{color:#33c7de}.t15{color:#9198a1}
.g0{background:#000}.g1{background:#c01c28}.g2{background:#26a269}.g3{background:#a2734c}.g4{background:#12488b}.g5{background:#a347ba}.g6{background:#2aa1b3}.g7{background:#d0d7de}
.g8{background:#5e5c64}.g9{background:#f66151}.g10{background:#33d17a}.g11{background:#e9c46a}.g12{background:#2a7bde}.g13{background:#c061cb}.g14{background:#33c7de}.g15{background:#fff}
.tb{font-weight:700}.td{opacity:.7}.ti{font-style:italic}.tu{text-decoration:underline}.ts{text-decoration:line-through}.tr{filter:invert(1)}
footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem}
`;

export const REPORT_SCRIPT = `(function(){
var body=document.body,bar=document.getElementById("toolbar");
if(bar){bar.hidden=false;bar.addEventListener("click",function(e){var b=e.target.closest("button");if(!b)return;var a=b.getAttribute("data-action");
if(a==="problems"){var on=body.classList.toggle("only-problems");b.setAttribute("aria-pressed",String(on));}
if(a==="expand"||a==="collapse"){var all=document.querySelectorAll("details.cmd");for(var i=0;i<all.length;i++)all[i].open=a==="expand";}});}
function reveal(){var id=decodeURIComponent(location.hash.slice(1));var d=id?document.getElementById(id):null;if(d&&d.tagName==="DETAILS"){d.open=true;}}
addEventListener("hashchange",reveal);reveal();
})();`;
