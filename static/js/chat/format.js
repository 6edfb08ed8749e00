// How a chat message looks: its text as a small Markdown subset, its author as
// an initials avatar, its time relative to now, its day as a separator.
//
// The subset is what people type in chat: **bold**, *italics*, `code`, fenced
// code blocks, ~~strikethrough~~ and links (bare URLs become links too). Every
// other Markdown construct stays the text it was typed as: a line starting
// with "#" or "-" is not a heading or a list, HTML is shown, never run, and an
// image is a link, so no picture loads from another site just because someone
// named it. marked turns the subset into HTML, which DOMPurify then cleans with
// the same library the assistant's answers go through, here with a short list
// of allowed tags.

import { Marked } from "../../vendor/marked/marked.esm.js";
import DOMPurify from "../../vendor/dompurify/purify.es.mjs";

const notMarkdown = () => undefined; // a tokenizer that never matches: the text stays text

const chatMarkdown = new Marked({
  gfm: true,
  breaks: true, // a new line in the composer is a new line on screen
  tokenizer: {
    heading: notMarkdown,
    lheading: notMarkdown,
    blockquote: notMarkdown,
    hr: notMarkdown,
    list: notMarkdown,
    table: notMarkdown,
    html: notMarkdown,
    def: notMarkdown,
    tag: notMarkdown, // inline HTML
    reflink: notMarkdown,
  },
  renderer: {
    image({ href, text }) {
      return `<a href="${escapeAttribute(href)}">${escapeText(text || href)}</a>`;
    },
  },
});

const ALLOWED = {
  ALLOWED_TAGS: ["p", "br", "strong", "em", "del", "code", "pre", "a"],
  ALLOWED_ATTR: ["href"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i, // no javascript:, data: or relative links
};

function escapeText(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(text) {
  return escapeText(text).replace(/"/g, "&quot;");
}

// `@username`, by the server's rule (chat.services.MENTION): not inside a word or an address.
const MENTION = /(?<![\p{L}\p{N}_.+@-])@([\p{L}\p{N}_.+@-]*[\p{L}\p{N}_+-])/gu;

// The usernames a text names.
export function mentionedNames(text) {
  return [...text.matchAll(MENTION)].map((match) => match[1]);
}

// Each mention in the text outside code and links, as a highlighted span; yours stands out.
function markMentions(fragment, me) {
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.parentElement?.closest("code, pre, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const texts = [];
  while (walker.nextNode()) if (walker.currentNode.data.includes("@")) texts.push(walker.currentNode);
  for (const node of texts) {
    const parts = [];
    let last = 0;
    for (const match of node.data.matchAll(MENTION)) {
      parts.push(node.data.slice(last, match.index));
      const mention = document.createElement("span");
      mention.className = match[1] === me ? "mention me" : "mention";
      mention.textContent = match[0];
      parts.push(mention);
      last = match.index + match[0].length;
    }
    if (!last) continue;
    parts.push(node.data.slice(last));
    node.replaceWith(...parts);
  }
}

// A message's text as a fragment of safe HTML, its mentions marked (`me`: yours). Links
// open in a new tab and tell the other site nothing about this page.
export function renderText(text, { me = "" } = {}) {
  const html = chatMarkdown.parse(text ?? "").trim();
  const fragment = DOMPurify.sanitize(html, { ...ALLOWED, RETURN_DOM_FRAGMENT: true });
  for (const link of fragment.querySelectorAll("a")) {
    if (!link.getAttribute("href")) {
      link.replaceWith(...link.childNodes); // a link DOMPurify refused is kept as its text
      continue;
    }
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
  }
  markMentions(fragment, me);
  return fragment;
}

// Avatars: up to two initials on a colour that is always the same for a name.

export function initials(name) {
  const words = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words.at(-1)] : [name.trim()];
  return letters
    .map((word) => [...word][0] ?? "")
    .join("")
    .toUpperCase() || "?";
}

export function hueOf(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

// Times: "just now" and "5 min ago" for the last hour, then the clock time; the
// day is said once, by the separator above that day's first message.

const MINUTE = 60 * 1000;
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const longDay = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });

export function timeLabel(date, now = new Date()) {
  const ago = now - date;
  if (ago < MINUTE) return "just now";
  if (ago < 60 * MINUTE) return relative.format(-Math.floor(ago / MINUTE), "minute");
  return clock.format(date);
}

// The clock time alone, for a message shown under its author's previous one.
export function clockTime(date) {
  return clock.format(date);
}

export function timeTitle(date) {
  return fullDate.format(date);
}

export function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

export function dayLabel(date, now = new Date()) {
  if (sameDay(date, now)) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(date, yesterday)) return "Yesterday";
  return longDay.format(date);
}
