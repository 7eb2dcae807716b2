// The local outbox page (/outbox): what the simulator received, newest first, refreshed every 2 s from
// /outbox/messages.json; its button empties it (DELETE /outbox/messages). Everything a message carries
// is put into the page as text (textContent), never as markup; an HTML email is shown in a sandboxed
// iframe (srcdoc, no scripts, its own strict policy), with its plain-text part as text below it.
import { pagePolicy } from "./html";

export const OUTBOX_REFRESH_MS = 2000;

/** The policy an HTML email is shown under: no script, no network, no form; inline styles and data: images only. */
export const EMAIL_FRAME_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'";

export function outboxPage(): { html: string; csp: string } {
  const { nonce, csp } = pagePolicy();
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outbox (local)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
header{background:#24292f;color:#fff;padding:.8rem 1.5rem}header h1{margin:0;font-size:1.25rem}
header p{margin:.2rem 0 0;color:#c9d1d9;font-size:.9rem}header a{color:#9ecbff}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
.message{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0 0 1rem;padding:.8rem 1rem}
.meta{display:grid;grid-template-columns:7rem 1fr;gap:.1rem .8rem;font-size:.9rem}.meta dt{color:#57606a}.meta dd{margin:0;overflow-wrap:anywhere}
.channel{display:inline-block;font-size:.75rem;font-weight:700;padding:.05rem .5rem;border-radius:1rem;background:#ddf4ff;color:#0969da;margin-right:.5rem}
.channel.email{background:#fbefff;color:#8250df}.when{color:#57606a;font-size:.85rem}
.body{margin:.7rem 0;padding:.7rem;background:#f6f8fa;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;font:1rem/1.4 ui-monospace,monospace}
iframe.body{width:100%;height:14rem;border:1px solid #d0d7de;background:#fff;padding:0}
ol.timeline{margin:.3rem 0 0;padding-left:1.2rem;font-size:.85rem}ol.timeline .skipped{color:#8c959f}
#empty{color:#57606a}#state{font-size:.85rem}
.part{font-size:.8rem;color:#57606a;margin:.6rem 0 -.4rem}
#clear{margin-left:.5rem;font:inherit;font-size:.85rem;padding:.1rem .6rem;border-radius:6px;border:1px solid #8c959f;background:#f6f8fa;color:#1f2328;cursor:pointer}
</style></head>
<body>
<header><h1>Outbox <small>(local only)</small></h1>
<p>What the provider simulator received, newest first: the latest 100 messages, kept in the simulator's local storage. Refreshes every ${OUTBOX_REFRESH_MS / 1000} s. <span id="state"></span>
Send one with the <a href="/docs">API reference</a>. <button id="clear" type="button">Clear the outbox</button></p></header>
<main><p id="empty">Nothing received yet. Send an SMS or an email, and it appears here.</p><div id="messages"></div></main>
<script nonce="${nonce}">
const FRAME_POLICY = ${JSON.stringify(EMAIL_FRAME_POLICY)};
const list = document.getElementById("messages");
const shown = new Map();

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

function bodyOf(message) {
  if (message.channel === "email" && message.contentType === "Html") {
    // No allow-* token: no script, no same origin, no forms, no top navigation.
    const frame = el("iframe", { className: "body", title: "Email body" });
    frame.setAttribute("sandbox", "");
    frame.srcdoc = '<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="' + FRAME_POLICY + '">' + message.body;
    // The plain-text part the service sent beside the HTML (what a text-only client shows).
    const text = message.text === undefined ? [] : [el("p", { className: "part", textContent: "Plain-text part" }), el("pre", { className: "body text-part", textContent: message.text })];
    return el("div", {}, el("p", { className: "part", textContent: "HTML part" }), frame, ...text);
  }
  return el("pre", { className: "body", textContent: message.body });
}

function timelineOf(entries) {
  const items = entries.map((e) =>
    el("li", { className: e.applied ? "" : "skipped", textContent: new Date(e.at).toLocaleTimeString() + "  " + e.status + "  (" + e.source + (e.detail ? ": " + e.detail : "") + ")" + (e.applied ? "" : "  not applied") }),
  );
  return el("ol", { className: "timeline" }, ...items);
}

function card(message) {
  const meta = el("dl", { className: "meta" });
  const rows = [["To", message.to], ["From", message.from]];
  if (message.subject !== undefined) rows.push(["Subject", message.subject]);
  rows.push(["Provider", message.provider], ["Simulator", message.answer], ["Shipment", message.shipmentId]);
  for (const [name, value] of rows) meta.append(el("dt", { textContent: name }), el("dd", { textContent: value }));
  const timeline = el("div", {}, el("strong", { textContent: "Status timeline" }), timelineOf(message.timeline));
  const node = el("article", { className: "message" },
    el("div", {}, el("span", { className: "channel " + message.channel, textContent: message.channel.toUpperCase() }), el("span", { className: "when", textContent: new Date(message.receivedAt).toLocaleString() })),
    meta, bodyOf(message), timeline);
  node.dataset.id = String(message.id);
  return { node, timeline };
}

async function refresh() {
  try {
    const response = await fetch("/outbox/messages.json", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const { messages } = await response.json();
    const keep = new Set(messages.map((m) => m.id));
    for (const [id, entry] of shown) if (!keep.has(id)) { entry.node.remove(); shown.delete(id); }
    // Newest first: walk oldest to newest, putting each new one on top.
    for (const message of [...messages].reverse()) {
      const entry = shown.get(message.id);
      if (entry) { entry.timeline.replaceChildren(el("strong", { textContent: "Status timeline" }), timelineOf(message.timeline)); continue; }
      const created = card(message);
      shown.set(message.id, created);
      list.prepend(created.node);
    }
    document.getElementById("empty").hidden = messages.length > 0;
    document.getElementById("state").textContent = "";
  } catch (error) {
    document.getElementById("state").textContent = "(the service does not answer: " + error.message + ")";
  }
}
document.getElementById("clear").addEventListener("click", async () => {
  try {
    const response = await fetch("/outbox/messages", { method: "DELETE" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    await refresh();
  } catch (error) {
    document.getElementById("state").textContent = "(could not clear the outbox: " + error.message + ")";
  }
});
refresh();
setInterval(refresh, ${OUTBOX_REFRESH_MS});
</script>
</body></html>`;
  return { html, csp };
}
