// The plain-text part of an HTML email (src/providers/text-part.ts), made with html-to-text in workerd.
import { describe, expect, it, vi } from "vitest";
import { cloudflareEmailProvider } from "../../src/providers/cloudflare-email/client";
import type { OutboundMessage } from "../../src/providers/provider";
import { plainTextOf, withTextPart } from "../../src/providers/text-part";

/** No tag, comment, doctype or entity left: nothing a text-only client would show as markup. */
const MARKUP = /<\/?[a-z!][^>]*>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);/i;

describe("plainTextOf", () => {
  it.each([
    ["paragraphs as lines", "<p>First</p><p>Second</p>", "First\n\nSecond"],
    ["headings as lines, in their own case", "<h1>Sign in</h1><h2>Your code</h2><p>428516</p>", "Sign in\n\nYour code\n\n428516"],
    ["line breaks as lines", "Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"],
    ["list items as lines", "<ul><li>one</li><li>two</li></ul>", " * one\n * two"],
    ["numbered items as lines", "<ol><li>first</li><li>second</li></ol>", " 1. first\n 2. second"],
    ["links as text (url)", '<a href="https://example.com/verify?a=1&amp;b=2">Verify</a>', "Verify (https://example.com/verify?a=1&b=2)"],
    ["a link whose text is its URL once", '<a href="https://example.com/x">https://example.com/x</a>', "https://example.com/x"],
    ["a mailto link as its address", '<a href="mailto:help@example.com">Write to us</a>', "Write to us (help@example.com)"],
    ["a javascript: link as its text only", '<a href="javascript:alert(1)">Click</a>', "Click"],
    ["named and numeric entities decoded", "<p>Caf&eacute; &amp; &lt;code&gt; &#x1F600; &#8364;5&nbsp;kr</p>", "Café & <code> 😀 €5\u00a0kr"],
    ["table cells as lines", "<table><tr><td>Code</td><td>428516</td></tr></table>", "Code\n428516"],
    ["images dropped (tracking pixels too)", '<p>Hi<img src="https://tracker.example/p.gif" alt="pixel"></p>', "Hi"],
  ])("%s", (_name, html, text) => {
    expect(plainTextOf(html)).toBe(text);
  });

  it("drops scripts, styles and comments, content and all", () => {
    const html = `<!doctype html><html><head><title>t</title><style>p { color: red } /* </p> */</style>
      <script>document.write("<p>injected</p>")</script></head>
      <body><!-- internal note: customer 42 --><p>Your code is 428516</p><script type="module">alert("x")</script>
      <!--[if mso]><p>outlook only</p><![endif]--><noscript></noscript></body></html>`;
    const text = plainTextOf(html);
    expect(text).toBe("Your code is 428516");
  });

  it("lays out nested lists as indented lines", () => {
    const html = "<ul><li>Fruit<ul><li>Apple</li><li>Pear<ol><li>Green</li></ol></li></ul></li><li>Bread</li></ul>";
    expect(plainTextOf(html)).toBe(" * Fruit\n   * Apple\n   * Pear\n     1. Green\n * Bread");
  });

  it("leaves no markup from hostile, broken HTML; text that merely looks like markup stays text", () => {
    const html = `<p>Code <b>428516<i></p></b>&lt;script&gt;<div<p>x</p><![CDATA[ raw ]]>
      <svg><script>alert(2)</script><text>svg text</text></svg><p onclick="alert(3)" style="x">end`;
    expect(plainTextOf(html)).toBe("Code 428516\n\n<script>x\n\nsvg text\n\nend");
  });

  it("does not exhaust the stack on deeply nested HTML: what is nested too deep is cut", () => {
    const html = "<div>".repeat(20_000) + "deep" + "</div>".repeat(20_000) + "<p>after</p>";
    expect(plainTextOf(html)).toBe("...\n\nafter");
  });

  it("converts a 256 KiB body completely, with no markup left", () => {
    const unit = '<p>Line <b>bold</b> &amp; <a href="https://example.com/p">link</a></p><!-- c --><script>x()</script>\n';
    const html = unit.repeat(Math.ceil((256 * 1024) / unit.length)).slice(0, 256 * 1024);
    const text = plainTextOf(html);
    const lines = text.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(Math.floor((256 * 1024) / unit.length));
    expect(lines[0]).toBe("Line bold & link (https://example.com/p)");
    expect(text).not.toMatch(MARKUP);
    expect(text).not.toContain("x()");
  });
});

describe("withTextPart", () => {
  const message = (overrides: Partial<OutboundMessage>): OutboundMessage => ({
    channel: "email",
    shipmentId: crypto.randomUUID(),
    orderRef: "ref",
    to: "user@example.com",
    from: "noreply@example.com",
    subject: "One-time code",
    body: "<p>Your code is <b>428516</b></p>",
    contentType: "Html",
    validitySeconds: 60,
    ...overrides,
  });

  it("gives an HTML email its text part, and nothing else one", () => {
    expect(withTextPart(message({})).text).toBe("Your code is 428516");
    expect(withTextPart(message({ contentType: "Plain", body: "Your code is 428516" }))).not.toHaveProperty("text");
    expect(withTextPart(message({ channel: "sms", contentType: undefined, body: "<b>hi</b>" }))).not.toHaveProperty("text");
  });

  it("reaches Cloudflare Email as `text` beside the `html`", async () => {
    const send = vi.fn(async (_message: unknown) => ({ messageId: "m-1" }));
    await cloudflareEmailProvider({ send } as unknown as SendEmail).send(withTextPart(message({})), new AbortController().signal);
    expect(send.mock.calls[0]![0]).toEqual({
      from: "noreply@example.com",
      to: "user@example.com",
      subject: "One-time code",
      html: "<p>Your code is <b>428516</b></p>",
      text: "Your code is 428516",
    });
  });
});
