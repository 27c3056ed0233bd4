"use strict";
// evalkit report: unpack the embedded data, then draw scores, length charts, the grid and details.
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const pct = (x) => (100 * x).toFixed(1);
const spct = (x) => (x >= 0 ? "+" : "") + (100 * x).toFixed(1);
const SYMBOL = {1: "✓", 0: "✗", 2: "∅"};
let D, details, task, selected = null;

async function unpack(id) {
  // base64 -> bytes through a data: URL (decoded natively, works from file://), then gunzip
  const response = await fetch("data:application/octet-stream;base64," + $(id).textContent.trim());
  const stream = response.body.pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

function drawHeader() {
  $("runs").innerHTML = D.runs.map((r, i) => `<span><b>${esc(r.label)}</b> ${esc(r.model)}${r.preset ? " · " + esc(r.preset) : ""}</span>`).join("");
  $("warnings").innerHTML = D.warnings.map((w) => `<div>warning: ${esc(w)}</div>`).join("");
}

function drawScores() {
  let h = "<table><tr><th>task</th><th>run</th><th>score % [95% CI]</th><th>n/problem</th><th>problems</th><th>Δ vs first [95% CI]</th><th>p (test)</th></tr>";
  for (const t of D.tasks) {
    t.scores.forEach((s, i) => {
      if (!s) return;
      const diff = s.diff === null ? "–" : `${spct(s.diff)} [${spct(s.diff_ci[0])}, ${spct(s.diff_ci[1])}]`;
      const p = s.p === null ? "–" : `${Number(s.p).toPrecision(3)} (${esc(s.test)})`;
      h += `<tr><td class="task">${esc(t.name)}</td><td>${esc(D.runs[i].label)}</td><td class="num">${pct(s.score)} [${pct(s.ci[0])}, ${pct(s.ci[1])}]</td>` +
           `<td class="num">${s.n}</td><td class="num">${s.problems}</td><td class="num">${diff}</td><td class="num">${p}</td></tr>`;
    });
  }
  $("scores").innerHTML = h + "</table>";
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function drawLength() {
  const figs = [];
  for (const t of D.tasks) {
    if (!t.length) continue;
    const W = 460, H = 200, L = 40, R = 54, B = 36, e = t.length.edges, k = e.length - 1;
    const x = (b) => L + (k === 1 ? (W - L - R) / 2 : 20 + b * (W - L - R - 20) / (k - 1));
    const y = (a) => 10 + (1 - a) * (H - B - 10);
    let svg = `<svg width="${W}" height="${H}" role="img" aria-label="accuracy by output length, ${esc(t.name)}">`;
    for (const g of [0, 0.5, 1]) svg += `<line x1="${L}" x2="${W}" y1="${y(g)}" y2="${y(g)}" stroke="#e5e5e5"/><text x="${L - 4}" y="${y(g) + 4}" font-size="10" text-anchor="end">${g * 100}%</text>`;
    for (let b = 0; b < k; b++) svg += `<text x="${x(b)}" y="${H - B + 14}" font-size="9" text-anchor="middle">${Math.round(e[b])}–${Math.round(e[b + 1])}</text>`;
    svg += `<text x="${(L + W) / 2}" y="${H - 4}" font-size="10" text-anchor="middle">output tokens (quantile buckets over all runs)</text>`;
    t.length.runs.forEach((r, i) => {
      if (!r) return;
      const c = COLORS[i % COLORS.length];
      const pts = r.acc.map((a, b) => (a === null ? null : [x(b), y(a), r.count[b], a])).filter(Boolean);
      svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => p[0] + "," + p[1]).join(" ")}"/>`;
      for (const p of pts) svg += `<circle cx="${p[0]}" cy="${p[1]}" r="3" fill="${c}"><title>${esc(D.runs[i].label)}: ${pct(p[3])}% of ${p[2]} samples</title></circle>`;
    });
    svg += "</svg>";
    const legend = t.length.runs.map((r, i) => (r ? `<span style="color:${COLORS[i % COLORS.length]}">■</span> ${esc(D.runs[i].label)}` : "")).join(" ");
    figs.push(`<figure>${svg}<figcaption>${esc(t.name)} · ${legend}</figcaption></figure>`);
  }
  $("length").innerHTML = figs.length ? figs.join("") : "<p>No per-sample output lengths recorded.</p>";
}

const solved = (c) => c && c.s >= 0.5;
function keep(p, f, q) {
  if (q && !String(p.id).toLowerCase().includes(q)) return false;
  const cells = p.cells.filter(Boolean);
  if (f === "wrong") return cells.some((c) => c.v.some((v) => v !== 1));
  if (f === "noanswer") return cells.some((c) => c.v.includes(2));
  if (f === "flipped") return cells.length > 1 && new Set(cells.map(solved)).size > 1;
  return true;
}

function drawGrid() {
  const t = D.tasks[task];
  const f = $("filter").value, q = $("search").value.trim().toLowerCase();
  $("grid").tHead.innerHTML = "<tr><th>problem</th>" + D.runs.map((r) => `<th>${esc(r.label)}</th>`).join("") + "</tr>";
  const rows = [];
  let shown = 0;
  t.problems.forEach((p, i) => {
    if (!keep(p, f, q)) return;
    shown++;
    const cells = p.cells.map((c) => (c ? `<td><span class="cells">${c.v.map((v) => `<i class="c${v}"></i>`).join("")}</span> <span class="num">${pct(c.s)}</span></td>` : `<td class="absent">–</td>`)).join("");
    rows.push(`<tr class="row${i === selected ? " sel" : ""}" data-problem="${i}"><td class="id" title="${esc(p.id)}">${esc(p.id)}</td>${cells}</tr>`);
  });
  $("grid").tBodies[0].innerHTML = rows.join("");
  $("count").textContent = `${shown} of ${t.problems.length} problems`;
}

function sampleHtml(s, v, j) {
  const S = details.strings;
  const tests = s.tests ? `<div class="tests" title="verdict of each test, in order">tests: ${s.tests.map((x) => `<b class="${esc(x.verdict)}" title="${esc(x.detail)}">${esc(x.verdict)}</b>`).join("")}</div>` : "";
  return `<div class="sample s${v}"><div class="meta"><span class="badge">${SYMBOL[v]}</span>sample ${j + 1}` +
    ` · extracted: <code>${s.x === null ? "none" : esc(s.x)}</code>${s.r ? " · " + esc(s.r) : ""}${s.t !== null ? ` · ${s.t} tokens` : ""}</div>` +
    `${tests}<details${j === 0 ? " open" : ""}><summary>response</summary><pre>${esc(S[s.o])}</pre></details></div>`;
}

async function showDetail(i) {
  selected = i;
  for (const row of $("grid").tBodies[0].rows) row.classList.toggle("sel", row.dataset.problem === String(i));
  if (!details) { $("detail").innerHTML = "<p class=\"hint\">unpacking responses…</p>"; details = await detailsReady; }
  if (selected !== i) return;
  const S = details.strings, samples = details.samples[task][i];
  const t = D.tasks[task], p = t.problems[i];
  const present = p.cells.map((c, r) => [c, r]).filter(([c]) => c);
  const prompts = [...new Set(present.map(([c]) => c.p))];
  let h = `<h3>${esc(p.id)} <small>(doc ${p.doc}, ${esc(t.name)})</small></h3>${p.gold ? `<div class="gold">gold: <code>${esc(p.gold)}</code></div>` : ""}`;
  if (prompts.length === 1) h += `<details open><summary>prompt</summary><pre>${esc(S[prompts[0]]) || "<i>not recorded</i>"}</pre></details>`;
  else h += present.map(([c, r]) => `<details><summary>prompt in ${esc(D.runs[r].label)}</summary><pre>${esc(S[c.p])}</pre></details>`).join("");
  h += `<div class="side" style="grid-template-columns: repeat(${present.length}, minmax(0, 1fr))">`;
  for (const [c, r] of present) {
    h += `<div data-run="${r}"><h4>${esc(D.runs[r].label)} · ${pct(c.s)}%</h4>${samples[r].map((s, j) => sampleHtml(s, c.v[j], j)).join("")}</div>`;
  }
  $("detail").innerHTML = h + "</div>";
  $("detail").dataset.problem = String(i);
}

let detailsReady;
async function main() {
  D = await unpack("data");
  drawHeader();
  drawScores();
  drawLength();
  $("task").innerHTML = D.tasks.map((t, i) => `<option value="${i}">${esc(t.name)} (${t.problems.length})</option>`).join("");
  task = 0;
  $("task").onchange = () => { task = Number($("task").value); selected = null; drawGrid(); };
  $("filter").onchange = drawGrid;
  $("search").oninput = drawGrid;
  $("grid").tBodies[0].onclick = (ev) => { const row = ev.target.closest("tr.row"); if (row) showDetail(Number(row.dataset.problem)); };
  drawGrid();
  detailsReady = unpack("details");
  window.__reportReadyMs = performance.now();
  document.body.dataset.ready = "1";
  details = await detailsReady;
  window.__detailsReadyMs = performance.now();
}
main().catch((err) => { document.body.dataset.ready = "error"; $("scores").textContent = "could not read the report's data: " + err; });
