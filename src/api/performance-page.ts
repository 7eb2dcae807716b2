// The public performance page (/performance): the deployment's last 30 days as SVG charts, each with its
// figures in a table beside it. The charts are drawn here, on the server, and hidden from screen
// readers; the tables carry the same figures as text. No script runs on the page.
import type { Performance, PerformanceDay } from "../stats/performance";
import type { Channel } from "../status/statuses";
import { escapeHtml, pagePolicy } from "./html";

const W = 640;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };
const COLOURS: Record<Channel, string> = { sms: "#0969da", email: "#8250df" };
const NAMES: Record<Channel, string> = { sms: "SMS", email: "Email" };
const NO_VERIFICATIONS = { started: 0, approved: 0, expired: 0, maxAttempts: 0 };
const OUTAGE_REASONS: Record<string, string> = { daily_quota: "daily sending quota used up" };

/** "99.95 %", "99.9 %", "100 %": two decimals at most, as many as the figure needs. */
const pct = (v: number | null) => (v === null ? "–" : `${Number(v.toFixed(v >= 99 && v < 100 ? 2 : 1))} %`);
const int = (v: number) => v.toLocaleString("en-GB");

/** "(degraded 14:02 UTC, 100 % overdue, 3 organisations; recovered 14:30 UTC, 0 % overdue, 0 organisations)". */
function changesText(changes: Performance["smsProviders"][number]["events"][number]["changes"] | undefined): string {
  // Figures cached by an earlier version have no changes.
  if (!changes?.length) return "";
  const one = (c: (typeof changes)[number]) =>
    `${c.kind} ${c.at.slice(11, 16)} UTC, ${pct(c.overduePercent)} overdue${c.organisations === null ? "" : `, ${int(c.organisations)} organisation${c.organisations === 1 ? "" : "s"}`}`;
  return ` (${changes.map(one).join("; ")})`;
}

export function performancePage(p: Performance): { html: string; csp: string } {
  const { csp } = pagePolicy();
  const dates = [...new Set(p.days.map((d) => d.date))];
  const newestFirst = [...dates].reverse(); // the tables start with today
  const day = (date: string, channel: Channel) => p.days.find((d) => d.date === date && d.channel === channel)!;
  const channels: Channel[] = ["sms", "email"];
  const slo = p.objective.handedOverWithin10sPercent;

  const messages = section(
    "messages",
    "Messages per day",
    bars(dates, channels.map((c) => ({ channel: c, values: dates.map((d) => day(d, c).registered) }))),
    table(
      "Messages registered and delivered per day (UTC)",
      ["Day", "SMS registered", "SMS delivered", "Email registered", "Email delivered"],
      newestFirst.map((d) => [d, int(day(d, "sms").registered), int(day(d, "sms").delivered), int(day(d, "email").registered), int(day(d, "email").delivered)]),
    ),
  );
  const within = section(
    "within-10s",
    `Handed over to a provider within 10 seconds (objective ${pct(slo)})`,
    lines(dates, channels.map((c) => ({ channel: c, values: dates.map((d) => day(d, c).handedOverWithin10sPercent) })), { min: Math.min(90, ...lowest(p.days)), objective: slo }),
    table(
      `Share handed over within 10 s of the request, per day, against the objective of ${pct(slo)}`,
      ["Day", "SMS", "Email"],
      newestFirst.map((d) => [d, pct(day(d, "sms").handedOverWithin10sPercent), pct(day(d, "email").handedOverWithin10sPercent)]),
    ),
  );
  const delivery = section(
    "delivery",
    "Delivery rate",
    lines(dates, channels.map((c) => ({ channel: c, values: dates.map((d) => day(d, c).deliveredPercent) })), { min: 0 }),
    table("Delivered of the messages that ended, per day", ["Day", "SMS", "Email"], newestFirst.map((d) => [d, pct(day(d, "sms").deliveredPercent), pct(day(d, "email").deliveredPercent)])),
  );
  // Figures cached by an earlier version have no verifications: as none.
  const codes = (d: Omit<PerformanceDay, "date" | "channel">) => ({ ...NO_VERIFICATIONS, ...d.verifications, percent: d.verificationConversionPercent ?? null });
  const conversion = section(
    "sms-conversion",
    "One-time codes by SMS: approved of those started",
    lines(dates, [{ channel: "sms", values: dates.map((d) => codes(day(d, "sms")).percent) }], { min: 0 }),
    table(
      "SMS verifications per day they started (UTC): how many started, how they ended, and the share approved (– where none started)",
      ["Day", "Started", "Approved", "Expired", "Too many attempts", "Approved share"],
      newestFirst.map((d) => {
        const c = codes(day(d, "sms"));
        return [d, int(c.started), int(c.approved), int(c.expired), int(c.maxAttempts), pct(c.percent)];
      }),
    ),
  );
  const providerRows = channels.flatMap((c) => Object.entries(p.totals[c].providerSharePercent).map(([name, share]) => ({ channel: c, name, share, n: p.totals[c].providers[name]!.handedOver })));
  const providers = section(
    "providers",
    "Each provider's share",
    shares(providerRows),
    table(
      "Messages each provider took over the 30 days",
      ["Channel", "Provider", "Handed over", "Share"],
      providerRows.map((r) => [NAMES[r.channel], r.name, int(r.n), pct(r.share)]),
    ),
  );
  const states = table(
    "SMS providers: current state, and degrade and recover events per day",
    ["Provider", "State", "Events"],
    p.smsProviders.map((s) => [
      s.name,
      s.state === null ? "not known just now" : s.state.replace("_", " "),
      s.events.length === 0 ? "none" : s.events.map((e) => `${e.date}: ${e.degraded} degraded, ${e.recovered} recovered${changesText(e.changes)}`).join("; "),
    ]),
  );

  // Figures cached by an earlier version have no dead letters (undefined): as not known.
  const dead = p.deadLetters ?? null;
  const deadLetters = table(
    "Messages a queue gave up on (dead letters) per day and queue, kept for an operator to replay or drop",
    ["Day", "Queue", "Arrived"],
    dead === null ? [["not known just now", "", ""]] : [...dead.days].reverse().map((d) => [d.date, d.queue, int(d.count)]),
  );
  const waiting = dead === null ? "not known just now" : Object.entries(dead.waiting).map(([queue, n]) => `${queue}: ${int(n)}`).join(", ") || "none";

  const outages = p.providerOutages ?? null;
  const outageTable = table(
    "Provider outages per day: calls that failed because the provider could send nothing",
    ["Day", "Channel", "Provider", "Reason", "Calls"],
    outages === null ? [["not known just now", "", "", "", ""]] : [...outages].reverse().map((o) => [o.date, NAMES[o.channel], o.provider, OUTAGE_REASONS[o.reason] ?? o.reason, int(o.calls)]),
  );

  const total = (c: Channel) => p.totals[c];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Performance</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
header{background:#24292f;color:#fff;padding:.8rem 1.5rem}header h1{margin:0;font-size:1.4rem}header p{margin:.2rem 0 0;color:#c9d1d9}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}
.stale{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.6rem 1rem}
.headline{display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0;list-style:none}.headline li{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.6rem 1rem;min-width:12rem}
.headline strong{display:block;font-size:1.6rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:1rem 0;padding:.8rem 1rem}section h2{margin:.2rem 0 .6rem;font-size:1.15rem}
.pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(min-content,2fr);gap:1rem;align-items:start}@media (max-width:52rem){.pair{grid-template-columns:1fr}}
svg{width:100%;height:auto}.scroll{max-height:20rem;overflow:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem}caption{text-align:left;font-weight:600;padding-bottom:.3rem}
td,th[scope=row]{white-space:nowrap}th,td{padding:.15rem .5rem;border-bottom:1px solid #eaeef2;text-align:right}th:first-child,td:first-child{text-align:left}
.key{font-size:.85rem;color:#57606a}.key span{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin:0 .3rem 0 .8rem;vertical-align:-1px}
footer{color:#57606a;font-size:.85rem;margin:1rem 0 2rem}
</style></head>
<body>
<header><h1>Performance</h1><p>Every message this service sent in the last ${p.days.length / 2} days (UTC), all organisations together.</p></header>
<main>
${p.stale ? `<p class="stale" role="status">These figures are from ${escapeHtml(p.generatedAt)}: newer ones cannot be read just now.</p>` : ""}
<ul class="headline">
<li>Messages<strong>${int(total("sms").registered + total("email").registered)}</strong>${int(total("sms").registered)} SMS, ${int(total("email").registered)} email</li>
<li>SMS handed over within 10 s<strong>${pct(total("sms").handedOverWithin10sPercent)}</strong>objective ${pct(slo)}</li>
<li>Email handed over within 10 s<strong>${pct(total("email").handedOverWithin10sPercent)}</strong>objective ${pct(slo)}</li>
<li>Delivered<strong>${pct(total("sms").deliveredPercent)}</strong>SMS; email ${pct(total("email").deliveredPercent)}</li>
<li>SMS codes approved<strong>${pct(codes(total("sms")).percent)}</strong>of ${int(codes(total("sms")).started)} started</li>
</ul>
<p class="key" aria-hidden="true">Key:<span style="background:${COLOURS.sms}"></span>SMS<span style="background:${COLOURS.email}"></span>Email</p>
${messages}
${within}
${delivery}
${conversion}
${providers}
<section id="provider-states"><h2>SMS providers</h2>${states}</section>
<section id="provider-outages"><h2>Provider outages</h2>${outageTable}</section>
<section id="dead-letters"><h2>Dead letters</h2><p>Waiting for an operator now: ${escapeHtml(waiting)}.</p>${deadLetters}</section>
<footer>Figures from ${escapeHtml(p.from)} to ${escapeHtml(p.to)}, as of ${escapeHtml(p.generatedAt)}, refreshed at most once a minute. Also as JSON: <a href="/performance.json">/performance.json</a>.</footer>
</main></body></html>`;
  return { html, csp };
}

function lowest(days: readonly PerformanceDay[]): number[] {
  return days.map((d) => d.handedOverWithin10sPercent).filter((v): v is number => v !== null);
}

function section(id: string, title: string, chart: string, figures: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2><div class="pair"><div>${chart}</div><div class="scroll">${figures}</div></div></section>`;
}

function table(caption: string, head: string[], rows: string[][]): string {
  const body = rows.length === 0 ? `<tr><td colspan="${head.length}">Nothing yet.</td></tr>` : rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join("")}</tr>`).join("");
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

const svg = (inner: string) => `<svg viewBox="0 0 ${W} ${H}" aria-hidden="true" focusable="false" font-size="11" font-family="system-ui,sans-serif">${inner}</svg>`;
const x0 = PAD.left;
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

function axes(dates: string[], ticks: { y: number; label: string }[]): string {
  const every = Math.max(1, Math.ceil(dates.length / 6));
  const xs = dates
    .map((d, i) => (i % every === 0 ? `<text x="${x0 + ((i + 0.5) * plotW) / dates.length}" y="${H - 8}" text-anchor="middle" fill="#57606a">${d.slice(5)}</text>` : ""))
    .join("");
  const ys = ticks.map((t) => `<line x1="${x0}" x2="${W - PAD.right}" y1="${t.y}" y2="${t.y}" stroke="#eaeef2"/><text x="${x0 - 4}" y="${t.y + 4}" text-anchor="end" fill="#57606a">${t.label}</text>`).join("");
  return ys + xs;
}

/** Side-by-side bars per day, one per channel. */
function bars(dates: string[], series: { channel: Channel; values: number[] }[]): string {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const slot = plotW / dates.length;
  const bw = (slot * 0.8) / series.length;
  const rects = series
    .flatMap((s, si) => s.values.map((v, i) => `<rect x="${(x0 + i * slot + slot * 0.1 + si * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.top + plotH - y(v)).toFixed(1)}" fill="${COLOURS[s.channel]}"/>`))
    .join("");
  return svg(axes(dates, [0, 0.5, 1].map((f) => ({ y: y(max * f), label: int(Math.round(max * f)) }))) + rects);
}

/** A line per channel (percent), gaps where a day has no figure, and the objective as a dashed line. */
function lines(dates: string[], series: { channel: Channel; values: (number | null)[] }[], o: { min: number; objective?: number }): string {
  const min = Math.max(0, Math.floor(o.min));
  const y = (v: number) => PAD.top + plotH - ((Math.max(v, min) - min) / (100 - min)) * plotH;
  const x = (i: number) => x0 + ((i + 0.5) * plotW) / dates.length;
  const paths = series
    .map((s) => {
      const points = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`));
      const runs = points.join(" ").split(/\s*null\s*/).filter((r) => r.trim() !== "");
      const dots = points.filter((pt) => pt !== null).map((pt) => `<circle cx="${pt!.split(",")[0]}" cy="${pt!.split(",")[1]}" r="2.5" fill="${COLOURS[s.channel]}"/>`).join("");
      return runs.map((r) => `<polyline points="${r}" fill="none" stroke="${COLOURS[s.channel]}" stroke-width="2"/>`).join("") + dots;
    })
    .join("");
  const goal = o.objective === undefined ? "" : `<line x1="${x0}" x2="${W - PAD.right}" y1="${y(o.objective)}" y2="${y(o.objective)}" stroke="#cf222e" stroke-dasharray="5 4"/><text x="${W - PAD.right}" y="${y(o.objective) - 4}" text-anchor="end" fill="#cf222e">objective ${pct(o.objective)}</text>`;
  const ticks = [min, (min + 100) / 2, 100].map((v) => ({ y: y(v), label: `${v}%` }));
  return svg(axes(dates, ticks) + goal + paths);
}

/** One horizontal bar per channel and provider, its length the provider's share. */
function shares(rows: { channel: Channel; name: string; share: number }[]): string {
  if (rows.length === 0) return svg(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#57606a">No hand-overs yet</text>`);
  const row = Math.min(32, plotH / rows.length);
  const body = rows
    .map((r, i) => {
      const yy = PAD.top + i * row;
      const w = (r.share / 100) * (plotW - 180);
      return `<text x="${x0}" y="${yy + row * 0.65}" fill="#1f2328">${escapeHtml(`${NAMES[r.channel]} · ${r.name}`)}</text><rect x="${x0 + 120}" y="${yy + row * 0.15}" width="${w.toFixed(1)}" height="${(row * 0.7).toFixed(1)}" fill="${COLOURS[r.channel]}"/><text x="${x0 + 124 + w}" y="${yy + row * 0.65}" fill="#57606a">${pct(r.share)}</text>`;
    })
    .join("");
  return svg(body);
}
