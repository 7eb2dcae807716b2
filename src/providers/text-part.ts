// The plain-text part of an HTML email (docs/delivery-quality.md): Altinn's API takes one body, but mail
// without a text alternative scores worse with spam filters and reads badly in text-only clients.
// Made at send time from the opened body, never stored. html-to-text (pinned) parses with htmlparser2
// and needs no Node built-ins, so it runs in workerd.
import { convert, type HtmlToTextOptions } from "html-to-text";
import type { OutboundMessage } from "./provider";

/** Only URLs a reader can use are written out; `javascript:`, `data:` and the like are dropped. */
const SCHEME = /^\s*([a-z][a-z0-9+.-]*):/i;
const usableHref = (href: string) => {
  const scheme = SCHEME.exec(href)?.[1]?.toLowerCase();
  return scheme === undefined || scheme === "http" || scheme === "https" ? href : "";
};

const OPTIONS: HtmlToTextOptions = {
  // Lines as the HTML breaks them; no wrapping (it could split a code or a URL).
  wordwrap: false,
  // Nesting deeper than this is cut (with "..."), so hostile HTML cannot exhaust the stack.
  limits: { maxDepth: 256 },
  selectors: [
    { selector: "a", options: { linkBrackets: ["(", ")"], hideLinkHrefIfSameAsText: true, pathRewrite: usableHref } },
    // Images carry no text a reader needs (and tracking pixels none at all).
    { selector: "img", format: "skip" },
    // Headings are lines like paragraphs, in their own case; each table cell is a line of its own
    // (layout tables are common in email).
    ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 2 } })),
    ...["table", "tr", "th", "td"].map((selector) => ({ selector, format: "block", options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } })),
  ],
};

/** The email's plain-text part: paragraphs, headings, breaks and list items as lines, links as `text (url)`. */
export function plainTextOf(html: string): string {
  return convert(html, OPTIONS).replace(/\n{3,}/g, "\n\n"); // empty blocks leave no run of blank lines
}

/** The message as providers get it: an HTML email carries its text part too. */
export function withTextPart(message: OutboundMessage): OutboundMessage {
  return message.channel === "email" && message.contentType === "Html" ? { ...message, text: plainTextOf(message.body) } : message;
}
