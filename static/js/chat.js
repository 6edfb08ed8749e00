// The /chat/ page: rooms, history, presence, typing, private rooms and direct messages.
// Text from users is inserted with textContent, never as HTML; a message's own text is
// the one exception, as a small Markdown subset sanitised by DOMPurify (chat/format.js).
//
// The page holds one connection (ChatConnection) and follows the room it
// shows over it. The sidebar lists rooms as that connection reports them: the
// public rooms and your own on every (re)connect, then each room you are added
// to or removed from as it happens. A direct room is always shown by its
// `title`, the other person's name, never by its internal name (dm-<id>-<id>).
//
// Read state: the list shows each room's unread count, kept by the server
// (so every tab and every reload agree) and moved by `read_state` and
// `room_activity` frames. The room shown is marked read as far as you have
// seen it: while the page is visible and scrolled to the newest message. A
// "New messages" divider marks where you had stopped, and in direct
// conversations and small private rooms "Seen by" says how far the others got.

import { ChatConnection } from "./chat/connection.js";
import {
  clockTime,
  dayLabel,
  hueOf,
  initials,
  mentionedNames,
  renderText,
  sameDay,
  timeLabel,
  timeTitle,
} from "./chat/format.js";

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TYPING_SHOWN_MS = 3000;
const TYPING_SENT_EVERY_MS = 2000;
const UNREAD_COUNTED = 100; // the server counts unread messages up to this
const NEAR_BOTTOM_PX = 40; // scrolled this close to the newest message counts as seeing it

const $ = (id) => document.getElementById(id);
const el = {
  page: $("chat"),
  joinForm: $("join-form"),
  name: $("name"), // absent when signed in
  room: $("room"),
  join: $("join"),
  leave: $("leave"),
  status: $("status"),
  loadOlder: $("load-older"),
  messages: $("messages"),
  toNewest: $("to-newest"),
  typing: $("typing"),
  messageForm: $("message-form"),
  messageInput: $("message-input"),
  attachInput: $("attach-input"), // only when signed in
  uploads: $("uploads"),
  send: $("send"),
  presence: $("presence"),
  onlineCount: $("online-count"),
  notices: $("notices"),
  heading: $("room-heading"),
  publicRooms: $("public-rooms"),
  // Only when signed in:
  contextBar: $("context-bar"),
  jumpLatest: $("jump-latest"),
  searchForm: $("search-form"),
  searchInput: $("search-input"),
  searchSummary: $("search-summary"),
  searchResults: $("search-results"),
  feedback: $("room-feedback"),
  myRooms: $("my-rooms"),
  directRooms: $("direct-rooms"),
  inviteUsername: $("invite-username"),
  invite: $("invite"),
  inviteNote: $("invite-note"),
};
const username = el.page.dataset.username || "";
const isSiteModerator = el.page.dataset.moderator === "true";
const PAGE_TITLE = document.title;
const ROOM_PLACEHOLDER = el.room.placeholder;
const MESSAGE_PLACEHOLDER = el.messageInput.placeholder;

// Your private and direct rooms, by name, as the server describes them to you.
const rooms = new Map(
  JSON.parse($("my-rooms-data")?.textContent ?? "[]").map((room) => [room.name, room]),
);
let publicRooms = []; // to browse, the busiest first

let connection = null; // the room shown, followed over `chat`
let oldestSeq = null;
const shown = new Map(); // client_id -> <li>, so no message is ever shown twice
const online = new Map(); // participant key -> participant
const typingTimers = new Map(); // participant key -> { participant, timer }
let lastTypingSent = 0;
// Where the unread messages started when the room was opened (undefined until
// its first history page; null: none to mark), and whether the divider is placed.
let readAtJoin;
let dividerPlaced = false;
let readSent = 0; // the newest seq this page said it has read in the room shown
// Searching: the message to show once the room is open, and whether the room shown
// is the history around a result (new messages then wait behind "Jump to the latest").
let jumpTo = null;
let context = null; // { newer: messages that arrived meanwhile }
const receipts = new Map(); // username -> how far they have read the room shown

// Messages

const GROUPED_WITHIN_MS = 5 * 60 * 1000; // one author's messages this close share a header
const LOAD_OLDER_PX = 200; // scrolled this close to the oldest message loads the page before it

function element(tag, className, text = "") {
  const made = document.createElement(tag);
  made.className = className;
  made.textContent = text;
  return made;
}

// A message: its author's avatar, a header (author, time), the text, its files and
// reactions, and a toolbar with a reaction button and a menu of what you may do to it.
function messageItem() {
  const item = element("li", "message");
  const avatar = element("span", "avatar");
  avatar.setAttribute("aria-hidden", "true"); // the header names the author
  const meta = element("div", "meta");
  meta.append(element("span", "author"), element("span", "guest-tag", "guest"), element("time", "time"));
  const content = element("div", "content");
  content.append(element("div", "text"), element("span", "edited-tag", "(edited)"));
  const body = element("div", "body");
  body.append(meta, content, element("div", "files"), element("div", "reactions"));
  item.append(avatar, body, actionsBar());
  return item;
}

function actionsBar() {
  const bar = element("div", "actions");
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Message actions");
  const react = element("button", "react", "🙂");
  react.type = "button";
  react.dataset.act = "react";
  react.title = "React";
  react.setAttribute("aria-label", "React");
  const more = element("button", "more", "⋯");
  more.type = "button";
  more.title = "More actions";
  more.setAttribute("aria-label", "More actions");
  more.setAttribute("aria-haspopup", "menu");
  more.setAttribute("aria-expanded", "false");
  const menu = element("div", "menu");
  menu.setAttribute("role", "menu");
  menu.hidden = true;
  for (const [name, label] of [["edit", "Edit"], ["delete", "Delete"], ["report", "Report"], ["mute", "Mute the author"]]) {
    const choice = element("button", `menu-item ${name}`, label);
    choice.type = "button";
    choice.dataset.act = name;
    choice.setAttribute("role", "menuitem");
    choice.tabIndex = -1;
    menu.append(choice);
  }
  bar.append(react, more, menu);
  return bar;
}

function readableSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

// A message's files: images as previews that open the full picture, others as downloads.
function renderFiles(item, attachments) {
  const links = (attachments ?? []).map((file) => {
    const link = document.createElement("a");
    link.href = file.url;
    link.className = file.thumbnail_url ? "file image" : "file";
    if (file.thumbnail_url) {
      link.target = "_blank";
      link.rel = "noopener";
      const image = document.createElement("img");
      image.src = file.thumbnail_url;
      image.alt = file.name;
      image.loading = "lazy";
      const scale = Math.min(1, 240 / Math.max(file.width, file.height));
      image.width = Math.round(file.width * scale);
      image.height = Math.round(file.height * scale);
      link.append(image);
    } else {
      link.download = file.name;
      link.textContent = `${file.name} (${readableSize(file.size)})`;
    }
    return link;
  });
  item.querySelector(".files").replaceChildren(...links);
  item.querySelector(".files").hidden = links.length === 0;
}

const sentAtOf = new WeakMap(); // <li> -> when it was sent
const sourceOf = new WeakMap(); // <li> -> its text as typed, to edit

function fill(item, message) {
  item.dataset.seq = message.seq ?? "";
  item.dataset.author = message.guest ? "" : message.name;
  item.dataset.key = `${message.guest ? "guest" : "user"}:${message.name}`; // who, for grouping
  item.querySelector(".author").textContent = message.name;
  item.querySelector(".guest-tag").hidden = !message.guest;
  const avatar = item.querySelector(".avatar");
  avatar.textContent = initials(message.name);
  avatar.style.setProperty("--hue", hueOf(message.name));
  item.classList.toggle("guest", Boolean(message.guest));
  setText(item, message.message ?? "");
  const sentAt = message.sent_at ? new Date(message.sent_at) : (sentAtOf.get(item) ?? new Date());
  sentAtOf.set(item, sentAt);
  const when = item.querySelector(".time");
  when.dateTime = sentAt.toISOString();
  when.title = timeTitle(sentAt);
  item.querySelector(".edited-tag").hidden = !message.edited_at;
  if (message.attachments) renderFiles(item, message.attachments);
  if (message.reactions) {
    reactionsOf.set(item, new Map(message.reactions.map(({ emoji, users }) => [emoji, users])));
    renderReactions(item);
  }
  if (message.deleted) markDeleted(item);
  renderActions(item);
}

// The text as formatted Markdown; what was typed is kept to edit it.
function setText(item, text) {
  sourceOf.set(item, text);
  item.querySelector(".text").replaceChildren(renderText(text, { me: username }));
  item.querySelector(".text").hidden = !text;
  item.classList.toggle("mentions-me", mentionsMe(text));
}

// Whether a message names you as `@username`, by the rule the highlighting uses.
function mentionsMe(text) {
  return Boolean(username) && mentionedNames(text).includes(username);
}

// Reactions

const reactionsOf = new WeakMap(); // <li> -> Map(emoji -> usernames, the first first)

// Each emoji as a button that shows how many reacted (who, on hover) and toggles yours.
function renderReactions(item) {
  const box = item.querySelector(".reactions");
  const buttons = [];
  for (const [emoji, users] of reactionsOf.get(item) ?? []) {
    if (!users.length) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "reaction";
    button.dataset.emoji = emoji;
    button.title = users.join(", ");
    const mine = users.includes(username);
    button.setAttribute("aria-pressed", String(mine));
    button.setAttribute("aria-label", `${emoji} ${users.length}: ${users.join(", ")}`);
    button.textContent = `${emoji} ${users.length}`;
    button.disabled = !username || item.classList.contains("deleted");
    buttons.push(button);
  }
  box.replaceChildren(...buttons);
  box.hidden = !buttons.length && !box.querySelector(".palette");
}

function applyReaction({ target_seq, emoji, name, added }) {
  const item = itemAt(target_seq);
  if (!item) return; // not loaded here: a history page shows it as it stands
  const all = reactionsOf.get(item) ?? new Map();
  const users = (all.get(emoji) ?? []).filter((user) => user !== name);
  if (added) users.push(name);
  if (users.length) all.set(emoji, users);
  else all.delete(emoji);
  reactionsOf.set(item, all);
  renderReactions(item);
}

function toggleReaction(item, emoji) {
  const mine = (reactionsOf.get(item)?.get(emoji) ?? []).includes(username);
  connection?.react(Number(item.dataset.seq), emoji, mine);
}

// The few emoji offered to react with; any emoji is accepted over the wire.
const PALETTE = ["👍", "❤️", "😂", "🎉", "😮", "🙏"];

function openPalette(item) {
  const box = item.querySelector(".reactions");
  const open = box.querySelector(".palette");
  if (open) {
    open.remove();
    renderReactions(item);
    return;
  }
  const palette = document.createElement("span");
  palette.className = "palette";
  palette.setAttribute("role", "group");
  palette.setAttribute("aria-label", "React with");
  for (const emoji of PALETTE) {
    const choice = document.createElement("button");
    choice.type = "button";
    choice.className = "reaction-choice";
    choice.dataset.emoji = emoji;
    choice.textContent = emoji;
    palette.append(choice);
  }
  box.hidden = false;
  box.append(palette);
  palette.querySelector("button").focus();
}

// A deleted message stays where it was, as a tombstone.
function markDeleted(item) {
  item.classList.add("deleted");
  sourceOf.delete(item);
  item.querySelector(".text").textContent = "This message was deleted.";
  item.querySelector(".text").hidden = false;
  item.querySelector(".edited-tag").hidden = true;
  item.classList.remove("mentions-me");
  reactionsOf.delete(item);
  item.querySelector(".reactions").replaceChildren();
  item.querySelector(".reactions").hidden = true;
  renderFiles(item, []);
  renderActions(item);
}

// Who moderates the room shown: the site's moderators, and a private room's owner and admins.
function moderates() {
  const known = connection ? rooms.get(connection.room) : undefined;
  const runs = known?.kind === "private" && (known.owner === username || (known.admins ?? []).includes(username));
  return isSiteModerator || runs;
}

// Edit your own messages; delete them too, or anyone's where you moderate, and
// mute their author there. Anyone signed in reports others' messages to the moderators.
function renderActions(item) {
  const own = Boolean(username) && item.dataset.author === username;
  const live = Boolean(item.dataset.seq) && !item.classList.contains("deleted");
  const direct = rooms.get(connection?.room)?.kind === "direct";
  const may = {
    edit: live && own,
    delete: live && (own || moderates()),
    report: live && username && !own,
    mute: live && !own && item.dataset.author && moderates() && !direct,
  };
  for (const [act, allowed] of Object.entries(may)) item.querySelector(`.menu .${act}`).hidden = !allowed;
  item.querySelector(".actions .react").hidden = !(live && username);
  item.querySelector(".actions .more").hidden = !Object.values(may).some(Boolean);
  item.querySelector(".actions").hidden = !(live && username);
}

// The menu of a message's actions: opened by its "⋯" button, walked with the
// arrow keys, closed by Escape, by a choice or by a click anywhere else.
let openMenu = null; // { menu, button }

function toggleMenu(button) {
  const menu = button.nextElementSibling;
  const wasOpen = openMenu?.menu === menu;
  closeMenu();
  if (wasOpen) return;
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
  button.closest("li.message").classList.add("menu-open");
  openMenu = { menu, button };
  // Near the bottom of the list the menu opens upwards, so it is not cut off.
  menu.classList.remove("upwards");
  if (menu.getBoundingClientRect().bottom > el.messages.getBoundingClientRect().bottom) menu.classList.add("upwards");
  menuChoices(menu)[0]?.focus();
}

function closeMenu({ refocus = false } = {}) {
  if (!openMenu) return;
  const { menu, button } = openMenu;
  openMenu = null;
  menu.hidden = true;
  button.setAttribute("aria-expanded", "false");
  button.closest("li.message")?.classList.remove("menu-open");
  if (refocus) button.focus();
}

const menuChoices = (menu) => [...menu.querySelectorAll("[role=menuitem]")].filter((choice) => !choice.hidden);

el.messages.addEventListener("keydown", (event) => {
  if (!openMenu || !openMenu.menu.contains(event.target)) return;
  const choices = menuChoices(openMenu.menu);
  const at = choices.indexOf(event.target);
  const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
  if (step) {
    event.preventDefault();
    choices[(at + step + choices.length) % choices.length].focus();
  } else if (event.key === "Home" || event.key === "End") {
    event.preventDefault();
    (event.key === "Home" ? choices[0] : choices.at(-1)).focus();
  } else if (event.key === "Escape" || event.key === "Tab") {
    if (event.key === "Escape") event.preventDefault();
    closeMenu({ refocus: event.key === "Escape" });
  }
});

document.addEventListener("click", (event) => {
  if (openMenu && !openMenu.menu.parentElement.contains(event.target)) closeMenu();
});

// A moderation request over HTTP; what the server says is shown in the room.
async function moderate(url, body, done) {
  const reply = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  }).catch(() => null);
  const answer = reply ? await reply.json().catch(() => ({})) : {};
  if (reply?.ok) systemLine(done);
  else systemLine(answer.detail || Object.values(answer).flat().join(" ") || "The server could not be reached.", "error");
}

function report(item) {
  const reason = prompt("Why report this message to the moderators?");
  if (!reason?.trim()) return;
  const room = encodeURIComponent(connection.room);
  moderate(`/api/chat/rooms/${room}/messages/${item.dataset.seq}/reports/`, { reason }, "Reported to the moderators.");
}

function mute(item) {
  const author = item.dataset.author;
  const minutes = Number(prompt(`Mute ${author} in this room for how many minutes?`, "60"));
  if (!Number.isInteger(minutes) || minutes < 1) return;
  moderate(`/api/chat/rooms/${encodeURIComponent(connection.room)}/mutes/`, { username: author, minutes }, `${author} is muted here for ${minutes} min.`);
}

// While a moderator keeps you from writing here, the composer says until when.
let mutedUntil = null;
let muteEnds;

function showMuted({ until, reason }) {
  mutedUntil = until ? new Date(until) : null;
  const time = mutedUntil?.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  el.messageInput.placeholder = mutedUntil ? `Muted here until ${time}.` : MESSAGE_PLACEHOLDER;
  if (mutedUntil) systemLine(`A moderator muted you here until ${time}${reason ? `: ${reason}` : "."}`, "error");
  else systemLine("You may write here again.");
  clearTimeout(muteEnds);
  if (mutedUntil) muteEnds = setTimeout(() => showMuted({ until: null }), mutedUntil - Date.now());
  renderComposer();
}

function itemAt(seq) {
  return el.messages.querySelector(`li.message[data-seq="${seq}"]`);
}

// An edit, a deletion or a reaction, from anyone, this page included: applied where the message is shown.
function applyChange(action, change) {
  if (action === "reaction_changed") {
    applyReaction(change);
    return;
  }
  const item = itemAt(change.target_seq);
  if (!item) return; // not loaded here: a history page shows it as it is now
  if (action === "message_deleted") {
    markDeleted(item);
    return;
  }
  setText(item, change.message);
  item.querySelector(".edited-tag").hidden = false;
}

function startEditing(item) {
  if (item.querySelector(".edit-input")) return;
  const text = item.querySelector(".text");
  const typed = sourceOf.get(item) ?? "";
  const input = document.createElement("textarea");
  input.className = "edit-input";
  input.value = typed;
  input.maxLength = el.messageInput.maxLength;
  input.setAttribute("aria-label", "Edit your message; Enter saves, Shift+Enter starts a new line, Escape cancels");
  text.hidden = true;
  text.after(input);
  fitToText(input);
  input.addEventListener("input", () => fitToText(input));
  input.focus();
  const done = () => {
    input.remove();
    text.hidden = false;
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") done();
    if (event.key !== "Enter" || event.shiftKey) return;
    event.preventDefault();
    const changed = input.value.trim();
    if (changed && changed !== typed) connection?.edit(Number(item.dataset.seq), changed);
    done();
  });
  input.addEventListener("blur", done);
}

el.messages.addEventListener("click", (event) => {
  const chosen = event.target.closest("button[data-emoji]");
  if (chosen && connection) {
    const item = chosen.closest("li.message");
    toggleReaction(item, chosen.dataset.emoji);
    if (chosen.classList.contains("reaction-choice")) openPalette(item); // closes it
    return;
  }
  const more = event.target.closest("button.more");
  if (more) {
    toggleMenu(more);
    return;
  }
  const button = event.target.closest("button[data-act]");
  if (!button) {
    selectByTap(event);
    return;
  }
  const item = button.closest("li.message");
  if (!item || !connection) return;
  closeMenu();
  const act = button.dataset.act;
  if (act === "react") openPalette(item);
  else if (act === "edit") startEditing(item);
  else if (act === "report") report(item);
  else if (act === "mute") mute(item);
  else if (confirm("Delete this message for everyone?")) connection.remove(Number(item.dataset.seq));
});

// On a touch screen, with no hover, tapping a message shows its actions.
function selectByTap(event) {
  if (!matchMedia("(hover: none)").matches || event.target.closest("a, button, textarea")) return;
  const item = event.target.closest("li.message");
  for (const other of el.messages.querySelectorAll("li.message.selected")) {
    if (other !== item) other.classList.remove("selected");
  }
  item?.classList.toggle("selected");
}

function show(message, { own = false, pending = false, prepend = false } = {}) {
  let item = shown.get(message.client_id);
  if (!item) {
    item = messageItem(message);
    shown.set(message.client_id, item);
    if (prepend) el.messages.prepend(item);
    else {
      if (!own) placeDivider(message.seq);
      el.messages.append(item);
    }
  }
  fill(item, message);
  item.classList.toggle("own", own || item.classList.contains("own"));
  item.classList.toggle("pending", pending);
  if (message.seq && (oldestSeq === null || message.seq < oldestSeq)) oldestSeq = message.seq;
}

// Where the list is scrolled: kept at the newest message while you are there; when you
// have scrolled up to read, what arrives waits below, counted on the "latest" button.
let unseenBelow = 0;

function nearBottom() {
  const list = el.messages;
  return list.scrollHeight - list.scrollTop - list.clientHeight <= NEAR_BOTTOM_PX;
}

function toBottom() {
  el.messages.scrollTop = el.messages.scrollHeight;
  unseenBelow = 0;
  renderToNewest();
}

// Runs `change` to the list and keeps the view where it was: at the newest message if
// you were there, else on the same messages.
function keepingPlace(change, { arriving = 0 } = {}) {
  const list = el.messages;
  const stick = nearBottom();
  const fromBottom = list.scrollHeight - list.scrollTop;
  change();
  layout();
  if (stick) toBottom();
  else {
    list.scrollTop = list.scrollHeight - fromBottom;
    unseenBelow += arriving;
    renderToNewest();
  }
}

function renderToNewest() {
  const away = !context && joinedRoom() !== null && !nearBottom();
  if (!away) unseenBelow = 0;
  el.toNewest.hidden = !away;
  el.toNewest.textContent = unseenBelow
    ? `↓ ${unseenBelow} new message${unseenBelow === 1 ? "" : "s"}`
    : "↓ Jump to the latest";
}

el.toNewest.addEventListener("click", () => {
  toBottom();
  readIfSeen();
});

// Grouping and day separators, worked out again from the list as it stands: a message
// follows its author's previous one without a header when nothing came between them
// and it was sent soon after, on the same day.
function layout() {
  const separators = new Map([...el.messages.querySelectorAll(".day-separator")].map((line) => [line.dataset.day, line]));
  const now = new Date();
  let previous = null;
  let day = null;
  for (const item of [...el.messages.children]) {
    if (item.classList.contains("day-separator")) continue;
    const sentAt = sentAtOf.get(item);
    if (!sentAt) {
      previous = null; // a system line or the unread divider starts a new group
      continue;
    }
    if (!day || !sameDay(day, sentAt)) {
      day = sentAt;
      previous = null;
      const key = sentAt.toDateString();
      const line = separators.get(key) ?? daySeparator(key);
      separators.delete(key);
      line.dataset.date = sentAt.toISOString();
      line.textContent = dayLabel(sentAt, now);
      // Above the "New messages" divider when that is where the day starts.
      const first = item.previousElementSibling?.classList.contains("unread-divider") ? item.previousElementSibling : item;
      if (first.previousElementSibling !== line) first.before(line);
    }
    const continued =
      previous !== null &&
      previous.dataset.key === item.dataset.key &&
      sentAt - sentAtOf.get(previous) < GROUPED_WITHIN_MS;
    item.classList.toggle("continued", continued);
    item.querySelector(".time").textContent = continued ? clockTime(sentAt) : timeLabel(sentAt, now);
    previous = item;
  }
  for (const unused of separators.values()) unused.remove();
}

function daySeparator(day) {
  const line = element("li", "day-separator");
  line.setAttribute("role", "separator");
  line.dataset.day = day;
  return line;
}

// Relative times ("5 min ago") and day names ("Today") move on as time passes.
setInterval(layout, 30_000);

// What you send is shown at once, pending, and takes you to the newest message.
function showOwn(message, { pending = false } = {}) {
  show(message, { own: true, pending });
  layout();
  toBottom();
}

function confirmOwn({ client_id, seq, sent_at }) {
  const item = shown.get(client_id);
  if (!item) return;
  item.classList.remove("pending");
  item.dataset.seq = seq;
  renderActions(item);
  renderReceipts();
}

function systemLine(text, kind = "system") {
  const item = element("li", `message ${kind}`, text);
  keepingPlace(() => el.messages.append(item));
}

function clearMessages() {
  el.messages.replaceChildren();
  shown.clear();
  oldestSeq = null;
  dividerPlaced = false;
  loadingOlder = false;
  unseenBelow = 0;
}

// History: the newest page when a room opens, then older pages as you scroll up to them.
let loadingOlder = false;

function loadOlderIfNear({ asked = false } = {}) {
  if (loadingOlder || el.loadOlder.hidden || oldestSeq === null || !connection) return;
  if (!asked && el.messages.scrollTop > LOAD_OLDER_PX) return;
  loadingOlder = true;
  connection.loadOlder(oldestSeq);
}

function showHistory(page, { older }) {
  if (older) {
    loadingOlder = false;
    keepingPlace(() => {
      for (const message of [...page.messages].reverse()) show(message, { prepend: true });
    });
  } else {
    const opening = !el.messages.querySelector("li.message[data-seq]");
    if (readAtJoin === undefined) readAtJoin = unreadStart(connection.room);
    keepingPlace(() => {
      for (const message of page.messages) show(message, { own: message.name === username && !message.guest });
    });
    const divider = el.messages.querySelector(".unread-divider");
    if (opening && divider) divider.scrollIntoView({ block: "center" });
    else if (opening) toBottom();
  }
  el.loadOlder.hidden = !page.has_more;
  renderReceipts();
  if (!older && jumpTo !== null) {
    connection.loadAround(jumpTo);
    jumpTo = null;
  }
}

// Search: the newest messages with every word, in the rooms you may read; a result
// opens its room at that message, with the messages around it.

el.searchForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = el.searchInput.value.trim();
  el.searchResults.replaceChildren();
  if (!query) {
    el.searchSummary.textContent = "";
    return;
  }
  let data;
  try {
    const response = await fetch(`/api/chat/search/?q=${encodeURIComponent(query)}`, {
      headers: { Accept: "application/json" },
    });
    data = await response.json();
    if (!response.ok) throw new Error(data.detail ?? `HTTP ${response.status}`);
  } catch (error) {
    el.searchSummary.textContent = `Search failed: ${error.message}`;
    return;
  }
  const count = data.results.length;
  el.searchSummary.textContent = count ? `${count} message${count === 1 ? "" : "s"}, newest first` : "No messages found.";
  el.searchResults.replaceChildren(...data.results.map(resultItem));
});

function resultItem(result) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `?room=${encodeURIComponent(result.room)}`;
  link.dataset.room = result.room;
  link.dataset.seq = result.seq;
  const where = document.createElement("span");
  where.className = "result-where";
  where.textContent = `${result.title} · ${result.name}`;
  const text = document.createElement("span");
  text.className = "result-text";
  text.textContent = result.message || "(files)";
  link.append(where, text);
  item.append(link);
  return item;
}

function openResult(room, seq) {
  if (connection?.room === room && shownStatus.state === "open") connection.loadAround(seq);
  else {
    join(room);
    jumpTo = seq;
  }
}

function showContext(page) {
  clearMessages();
  dividerPlaced = true; // no "New messages" here: these are not the newest
  context = { newer: 0 };
  for (const message of page.messages) show(message, { own: message.name === username && !message.guest });
  layout();
  el.loadOlder.hidden = !page.has_more;
  renderJump();
  const found = itemAt(page.around_seq);
  found?.classList.add("found");
  found?.scrollIntoView({ block: "center" });
}

function renderJump() {
  renderToNewest();
  el.contextBar.hidden = !context;
  if (context) el.jumpLatest.textContent = context.newer ? `Jump to the latest (${context.newer} new)` : "Jump to the latest";
}

// Back to the newest messages: the room opened afresh.
function jumpToLatest() {
  if (connection) join(connection.room);
}

el.jumpLatest.addEventListener("click", jumpToLatest);

// Read state

// Where a room's unread messages start: after what you last read; in a room
// of yours you never opened, from its start; in a public one, nowhere.
function unreadStart(room) {
  const entry = entryOf(room);
  if (!username || !entry) return null;
  return entry.last_read_seq ?? (entry.kind === "public" ? null : 0);
}

// The "New messages" divider goes before the first message by someone else
// after where you had stopped reading when you opened the room.
function placeDivider(seq) {
  if (dividerPlaced || readAtJoin === undefined || readAtJoin === null || !(seq > readAtJoin)) return;
  dividerPlaced = true;
  const divider = document.createElement("li");
  divider.className = "unread-divider";
  divider.setAttribute("role", "separator");
  divider.textContent = "New messages";
  el.messages.append(divider);
}

// Mark the room shown read up to its newest message, once you can see it.
function readIfSeen() {
  if (!username || !connection || shownStatus.state !== "open" || context) return;
  if (document.visibilityState !== "visible") return;
  const list = el.messages;
  if (list.scrollHeight - list.scrollTop - list.clientHeight > NEAR_BOTTOM_PX) return;
  const seq = connection.lastSeq ?? 0;
  if (seq <= Math.max(readSent, entryOf(connection.room)?.last_read_seq ?? 0)) return;
  readSent = seq;
  connection.markRead(seq);
}

// How far you have read a room, from this tab or another.
function readUpTo({ room, last_read_seq, unread, mentions }) {
  const entry = entryOf(room);
  if (entry) {
    entry.last_read_seq = last_read_seq;
    entry.unread = unread;
    entry.mentions = mentions;
    renderRooms();
  }
}

// A message arrived in one of your rooms that this page does not show.
function roomActivity({ room, seq }) {
  const entry = entryOf(room);
  if (!entry) return;
  entry.last_seq = seq;
  entry.unread = Math.min((entry.unread ?? 0) + 1, UNREAD_COUNTED);
  renderRooms();
}

function updateReceipts(readers, { all }) {
  if (all) receipts.clear();
  for (const { user, last_read_seq } of readers) receipts.set(user, last_read_seq);
  renderReceipts();
}

// "Seen by" under the newest message each other member has read.
function renderReceipts() {
  for (const line of el.messages.querySelectorAll(".seen")) line.remove();
  const items = [...el.messages.querySelectorAll("li.message")].filter((item) => item.dataset.seq);
  const readers = new Map(); // <li> -> usernames
  for (const [user, seq] of receipts) {
    if (user === username) continue;
    const last = items.findLast((item) => Number(item.dataset.seq) <= seq);
    if (last) readers.set(last, [...(readers.get(last) ?? []), user]);
  }
  for (const [item, users] of readers) {
    const line = document.createElement("p");
    line.className = "seen";
    line.textContent = `Seen by ${users.join(", ")}`;
    item.append(line);
  }
}

// Presence and typing

function renderPresence() {
  el.presence.replaceChildren(
    ...[...online.values()].map((participant) => {
      const item = document.createElement("li");
      item.textContent = participant.name;
      item.dataset.key = participant.key;
      if (participant.guest) {
        const tag = document.createElement("span");
        tag.className = "guest-tag";
        tag.textContent = "guest";
        item.append(tag);
      }
      return item;
    }),
  );
  el.onlineCount.textContent = online.size ? `(${online.size})` : "";
}

function updatePresence(action, payload) {
  if (action === "presence_state") {
    online.clear();
    for (const participant of payload.participants) online.set(participant.key, participant);
  } else if (action === "presence_joined") {
    online.set(payload.participant.key, payload.participant);
  } else {
    online.delete(payload.participant.key);
  }
  renderPresence();
}

function renderTyping() {
  const names = [...typingTimers.values()].map(({ participant }) => participant.name);
  el.typing.textContent = !names.length
    ? ""
    : names.length === 1
      ? `${names[0]} is typing…`
      : `${names.join(", ")} are typing…`;
}

function stopTyping(key) {
  clearTimeout(typingTimers.get(key)?.timer);
  typingTimers.delete(key);
  renderTyping();
}

function showTyping(participant) {
  clearTimeout(typingTimers.get(participant.key)?.timer);
  const timer = setTimeout(() => stopTyping(participant.key), TYPING_SHOWN_MS);
  typingTimers.set(participant.key, { participant, timer });
  renderTyping();
}

// A message from someone who was typing ends their typing.
function typingEndedBy(message) {
  for (const [key, { participant }] of typingTimers) {
    if (participant.name === message.name && participant.guest === Boolean(message.guest)) {
      stopTyping(key);
    }
  }
}

// Connection state

// What a close that ends the connection means to a person, by its code.
const CLOSE_EXPLAINED = {
  4401: "This room is private: log in as one of its members to enter it.",
  4403: "You may not enter this room. Pick another room, or ask its owner to invite you.",
  4404: "This address has no chat room. Check the room's name.",
};

let shownStatus = { state: "idle", detail: "" };
// What the server said last on this connection: when it then closes the
// connection for good (you logged out, you were removed), that is why.
let lastError = "";

// A room's entry in your room list, if it is listed.
function entryOf(room) {
  return rooms.get(room) ?? publicRooms.find((listed) => listed.name === room);
}

// What people call a room: a direct room by the other person's name.
function titleOf(room) {
  const known = rooms.get(room);
  if (known) return known.title;
  return room.toLowerCase().startsWith("dm-") ? "a direct conversation" : room;
}

// The room this page is in, or trying to get (back) into.
function joinedRoom() {
  const { state } = shownStatus;
  return connection && state !== "failed" && state !== "idle" ? connection.room : null;
}

function renderStatus() {
  const { state, detail } = shownStatus;
  const title = connection ? titleOf(connection.room) : "";
  el.status.textContent = {
    connecting: `Connecting to ${title}…`,
    reconnecting: `Connection lost, ${detail || "reconnecting"}. What you write is sent once it is back.`,
    open: `Connected to ${title}`,
    failed: `Disconnected. ${(closedByServer(detail) && lastError) || CLOSE_EXPLAINED[detail] || detail}`,
    idle: "Not connected",
  }[state];
}

// A close code, as opposed to a reason of this page's own (a room name it refused).
const closedByServer = (detail) => typeof detail === "number";

// While (re)connecting you can still write: the message waits as pending
// and goes out, once, when the room is back. Not while muted.
function renderComposer() {
  const { state } = shownStatus;
  const joined = state === "open" || state === "connecting" || state === "reconnecting";
  const writable = joined && !(mutedUntil && mutedUntil > new Date());
  el.messageInput.disabled = !writable;
  el.send.disabled = !writable;
  if (el.attachInput) el.attachInput.disabled = !writable;
}

function setStatus(state, detail = "") {
  if (state !== "failed") lastError = "";
  shownStatus = { state, detail };
  el.status.dataset.state = state;
  renderStatus();
  renderComposer();
  if (state === "failed") showJoined(false);
  if (state === "open") {
    listPublic(connection.room);
    loadingOlder = false; // a page asked for before a reconnect is asked for again when needed
  }
  renderRoom();
  readIfSeen();
}

// A public room opened here, new since the room list came, is listed too.
function listPublic(room) {
  const known = rooms.has(room) || publicRooms.some((listed) => listed.name === room);
  if (!known) publicRooms = [...publicRooms, { name: room, kind: "public", title: room }];
}

function showJoined(joined) {
  el.join.hidden = joined;
  el.leave.hidden = !joined;
  el.room.disabled = joined;
  if (el.name) el.name.disabled = joined;
}

// Joining and leaving

function join(room) {
  if (el.name) sessionStorage.setItem("chat-name", el.name.value.trim());
  // Uploads belong to their room: kept when the same room is opened afresh.
  if (connection?.room !== room) clearUploads({ discard: true });
  connection?.close();
  clearMessages();
  context = null;
  jumpTo = null;
  renderJump();
  readAtJoin = undefined;
  readSent = 0;
  mutedUntil = null;
  clearTimeout(muteEnds);
  el.messageInput.placeholder = MESSAGE_PLACEHOLDER;
  receipts.clear();
  online.clear();
  renderPresence();
  feedback(""); // about where you were
  for (const notice of noticesAbout(room)) notice.remove(); // read here now
  el.room.value = rooms.get(room)?.kind === "direct" ? "" : room;
  history.replaceState(null, "", `?room=${encodeURIComponent(room)}`);
  showJoined(true);
  chat.guestName = el.name?.value.trim() ?? "";
  connection = chat.follow(room, {
    state: setStatus,
    history: showHistory,
    context: showContext,
    message: (message) => {
      if (context) {
        context.newer += 1;
        renderJump();
        return;
      }
      typingEndedBy(message);
      keepingPlace(() => show(message), { arriving: 1 });
      renderReceipts();
      readIfSeen();
    },
    own: (message) => (message.message ? showOwn(message) : confirmOwn(message)),
    change: applyChange,
    reset: clearMessages,
    presence: updatePresence,
    typing: showTyping,
    receipts: updateReceipts,
    muted: showMuted,
    // A post refused for good (a file it could not send): marked, never sent again.
    refused: (clientId) => shown.get(clientId)?.classList.replace("pending", "failed"),
    error: (detail) => {
      lastError = detail;
      systemLine(detail, "error");
    },
  });
}

function leave() {
  connection?.close();
  clearUploads({ discard: true });
  connection = null;
  context = null;
  renderJump();
  online.clear();
  renderPresence();
  feedback("");
  showJoined(false);
  setStatus("idle");
  history.replaceState(null, "", location.pathname);
}

function noticesAbout(room) {
  return [...el.notices.children].filter((line) => line.dataset.room === room);
}

// The newest news of a room you are not looking at, as a link to it.
function notice(room, text) {
  if (room === joinedRoom()) return; // its messages are on screen already
  for (const older of noticesAbout(room)) older.remove();
  const line = document.createElement("p");
  line.className = "notice-line";
  line.dataset.room = room;
  const link = document.createElement("a");
  link.href = `?room=${encodeURIComponent(room)}`;
  link.dataset.room = room;
  link.textContent = text;
  line.append(link);
  el.notices.prepend(line);
}

function directNotice({ room, name, preview }) {
  notice(room, `Direct message from ${name}: ${preview}`);
}

// Someone named you: counted in the room list and said in the notices, unless you are there.
function mentioned({ room, name, preview }) {
  if (room === joinedRoom()) return;
  const entry = entryOf(room);
  if (entry) {
    entry.mentions = Math.min((entry.mentions ?? 0) + 1, UNREAD_COUNTED);
    renderRooms();
  }
  notice(room, `${name} mentioned you in ${titleOf(room)}: ${preview}`);
}

el.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = el.room.value.trim();
  if (!ROOM_NAME.test(room)) {
    setStatus("failed", el.room.title);
    return;
  }
  join(room);
});

el.leave.addEventListener("click", leave);

el.loadOlder.addEventListener("click", () => loadOlderIfNear({ asked: true }));
el.messages.addEventListener("scroll", () => loadOlderIfNear(), { passive: true });
el.messages.addEventListener("scroll", renderToNewest, { passive: true });

el.messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = el.messageInput.value.trim();
  if (!connection) return;
  if (context && (text || uploads.length)) jumpToLatest(); // what you send goes with the newest
  if (uploads.some((upload) => upload.id === undefined && !upload.failed)) {
    feedback("Wait until your files are uploaded, then send.", { error: true });
    return;
  }
  const ready = uploads.filter((upload) => upload.id !== undefined);
  if (!text && ready.length === 0) return;
  const name = username || el.name.value.trim();
  feedback("");
  const attachments = ready.map((upload) => upload.shown);
  const clientId = connection.post(text, username ? "" : name, attachments.map((file) => file.id));
  showOwn({ client_id: clientId, message: text, name, guest: !username, attachments }, { pending: true });
  el.messageInput.value = "";
  fitToText(el.messageInput);
  clearUploads({ discard: false });
});

// Files: each is uploaded over HTTP as soon as it is chosen, with its progress shown,
// and sent by naming its id in the message. One taken back before sending is deleted.
const attachmentMaxBytes = Number(el.page.dataset.attachmentMaxBytes);
const attachmentsMax = Number(el.page.dataset.attachmentsMax);
let uploads = []; // { file, chip, request, id?, shown?, failed? }

function csrfToken() {
  return document.querySelector("[name=csrfmiddlewaretoken]")?.value ?? "";
}

function uploadChip(upload) {
  const chip = document.createElement("li");
  chip.className = "upload";
  const name = document.createElement("span");
  name.className = "upload-name";
  name.textContent = upload.file.name;
  const progress = document.createElement("progress");
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute("aria-label", `Uploading ${upload.file.name}`);
  const state = document.createElement("span");
  state.className = "upload-state";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "link-button";
  remove.textContent = "Remove";
  remove.setAttribute("aria-label", `Remove ${upload.file.name}`);
  remove.addEventListener("click", () => discardUpload(upload));
  chip.append(name, progress, state, remove);
  return chip;
}

function uploadFailed(upload, detail) {
  upload.failed = true;
  upload.chip.classList.add("failed");
  upload.chip.querySelector("progress").hidden = true;
  upload.chip.querySelector(".upload-state").textContent = detail;
}

function startUpload(file) {
  const upload = { file };
  upload.chip = uploadChip(upload);
  uploads.push(upload);
  el.uploads.append(upload.chip);
  el.uploads.hidden = false;
  if (file.size > attachmentMaxBytes) {
    uploadFailed(upload, `Too large: at most ${readableSize(attachmentMaxBytes)}.`);
    return;
  }
  const form = new FormData();
  form.append("file", file);
  const request = new XMLHttpRequest();
  upload.request = request;
  request.open("POST", `/api/chat/rooms/${encodeURIComponent(connection.room)}/attachments/`);
  request.setRequestHeader("X-CSRFToken", csrfToken());
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) upload.chip.querySelector("progress").value = (100 * event.loaded) / event.total;
  });
  request.addEventListener("load", () => {
    let data = {};
    try {
      data = JSON.parse(request.responseText);
    } catch {
      data = { detail: `The upload failed (HTTP ${request.status}).` };
    }
    if (request.status !== 201) return uploadFailed(upload, data.detail ?? "The upload failed.");
    upload.id = data.id;
    upload.shown = data;
    upload.chip.classList.add("uploaded");
    upload.chip.querySelector("progress").value = 100;
    upload.chip.querySelector(".upload-state").textContent = "Ready";
  });
  request.addEventListener("error", () => uploadFailed(upload, "The upload failed: check your connection."));
  request.send(form);
}

function discardUpload(upload) {
  if (upload.id === undefined) upload.request?.abort();
  else {
    fetch(`/api/chat/attachments/${upload.id}/`, { method: "DELETE", headers: { "X-CSRFToken": csrfToken() } });
  }
  upload.chip.remove();
  uploads = uploads.filter((other) => other !== upload);
  el.uploads.hidden = uploads.length === 0;
}

// Sent (discard: false) or left behind with the room (discard: true).
function clearUploads({ discard }) {
  for (const upload of [...uploads]) {
    if (discard) discardUpload(upload);
    else upload.chip.remove();
  }
  uploads = [];
  el.uploads.hidden = true;
}

el.attachInput?.addEventListener("change", () => {
  for (const file of el.attachInput.files) {
    if (uploads.length >= attachmentsMax) {
      feedback(`At most ${attachmentsMax} files per message.`, { error: true });
      break;
    }
    startUpload(file);
  }
  el.attachInput.value = "";
});

el.messages.addEventListener("scroll", readIfSeen, { passive: true });
document.addEventListener("visibilitychange", readIfSeen);
window.addEventListener("focus", readIfSeen);

// The composer grows with what you write, up to a few lines; Enter sends and
// Shift+Enter starts a new line, as in the chat apps people know.
function fitToText(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight + 2, 160)}px`;
}

el.messageInput.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  el.messageForm.requestSubmit();
});

el.messageInput.addEventListener("input", () => {
  fitToText(el.messageInput);
  const now = Date.now();
  if (now - lastTypingSent > TYPING_SENT_EVERY_MS) {
    lastTypingSent = now;
    connection?.typing();
  }
});

// Links to rooms (your rooms, direct-message notices) join without reloading.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-room]");
  if (!link) return;
  event.preventDefault();
  if (link.dataset.seq) openResult(link.dataset.room, Number(link.dataset.seq));
  else join(link.dataset.room);
});

// The current room: its heading, the page's title, and whether you may invite to it.

function inviteBlocker(room) {
  if (!room) return "Join one of your private rooms to invite people to it.";
  const known = rooms.get(room);
  if (!known) return "Anyone may join a public room: tell people its name.";
  if (known.kind === "direct") {
    return "A direct conversation is between two people only. To talk with more, create a private room.";
  }
  if (known.owner !== username && !(known.admins ?? []).includes(username)) {
    return known.owner ? `Only its owner, ${known.owner}, and its admins can invite people here.` : "Only its admins can invite people here.";
  }
  return "";
}

function renderRoom() {
  const room = joinedRoom();
  const title = room ? titleOf(room) : "";
  const kind = room ? rooms.get(room)?.kind : undefined;
  el.heading.hidden = !room;
  el.heading.textContent = title;
  if (kind) {
    const tag = document.createElement("span");
    tag.className = "guest-tag";
    tag.textContent = kind === "direct" ? "direct conversation" : `${kind} room`;
    el.heading.append(tag);
  }
  document.title = room ? `${title} · ${PAGE_TITLE}` : PAGE_TITLE;
  el.room.placeholder = kind === "direct" ? `with ${title}` : ROOM_PLACEHOLDER;
  if (kind === "direct") el.room.value = "";
  renderStatus();
  if (el.inviteNote) {
    const blocker = inviteBlocker(room);
    el.inviteUsername.disabled = Boolean(blocker);
    el.invite.disabled = Boolean(blocker);
    el.inviteNote.textContent = blocker;
    el.inviteNote.hidden = !blocker;
  }
  renderRooms();
}

// Your rooms and direct conversations, kept fresh from the server.

function roomItem(room) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `?room=${encodeURIComponent(room.name)}`;
  link.dataset.room = room.name;
  link.textContent = room.title;
  const current = room.name === joinedRoom();
  if (current) {
    item.className = "current";
    link.setAttribute("aria-current", "page");
  }
  item.append(link);
  const said = [];
  const mentions = current ? 0 : room.mentions ?? 0;
  if (mentions) {
    const count = counted(mentions);
    item.append(badge("mention-count", `@${count}`));
    said.push(`${count} ${mentions === 1 ? "mention" : "mentions"}`);
  }
  const unread = current ? 0 : room.unread ?? 0;
  if (unread) {
    const count = counted(unread);
    item.append(badge("unread", count));
    said.push(`${count} unread`);
    item.classList.add("has-unread");
  }
  if (said.length) link.setAttribute("aria-label", [room.title, ...said].join(", "));
  return item;
}

function counted(count) {
  return count >= UNREAD_COUNTED ? `${UNREAD_COUNTED - 1}+` : String(count);
}

function badge(className, text) {
  const shown = document.createElement("span");
  shown.className = className;
  shown.textContent = text;
  shown.setAttribute("aria-hidden", "true"); // the link says it
  return shown;
}

function noneYet() {
  const none = document.createElement("li");
  none.className = "muted";
  none.textContent = "None yet.";
  return none;
}

function renderList(list, listed) {
  if (!list) return;
  const items = listed.length ? listed.map(roomItem) : [noneYet()];
  // A list that has not changed keeps its elements: a link replaced between
  // the press and the release of a click would swallow the click.
  const unchanged =
    items.length === list.children.length &&
    items.every((item, index) => item.isEqualNode(list.children[index]));
  if (!unchanged) list.replaceChildren(...items);
}

function renderRooms() {
  const all = [...rooms.values()];
  renderList(el.publicRooms, publicRooms);
  renderList(el.myRooms, all.filter((room) => room.kind !== "direct"));
  renderList(el.directRooms, all.filter((room) => room.kind === "direct"));
}

// The whole list, sent on every (re)connect: what changed meanwhile is in it.
function listRooms(listed) {
  publicRooms = listed.filter((room) => room.kind === "public");
  rooms.clear();
  for (const room of listed) if (room.kind !== "public") rooms.set(room.name, room);
  renderRoom();
}

// A room you were just added to comes first, as the server's list has the newest first.
function addRoom(room) {
  const others = [...rooms.values()].filter((known) => known.name !== room.name);
  rooms.clear();
  for (const known of [room, ...others]) rooms.set(known.name, known);
  renderRoom();
}

function removeRoom(name) {
  rooms.delete(name);
  renderRoom();
}

const chat = new ChatConnection({
  on: {
    rooms: listRooms,
    added: addRoom,
    removed: removeRoom,
    notice: directNotice,
    mention: mentioned,
    read: readUpTo,
    activity: roomActivity,
    error: (detail) => {
      lastError = detail; // why the connection ends, if it then does
      systemLine(detail, "error");
    },
  },
});
chat.open();

// Private rooms and direct messages go through the HTTP API.

async function api(path, body) {
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value ?? "";
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  let data = {};
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = { detail: `The server could not do that (HTTP ${response.status}). Try again.` };
    }
  }
  if (!response.ok) throw new Error(data.detail ?? Object.values(data).flat().join(" "));
  return data;
}

// Says how the last action went, until the next one or until you join another room.
function feedback(text, { error = false } = {}) {
  if (!el.feedback) return;
  el.feedback.textContent = text;
  el.feedback.classList.toggle("error", error);
}

function onSubmit(id, handler) {
  const form = $(id);
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    feedback("");
    try {
      await handler(form);
    } catch (error) {
      feedback(error.message, { error: true });
    }
  });
}

// A room just made or opened is listed at once, first; the server's word on it follows.
function joinNew(room) {
  addRoom(room);
  join(room.name);
}

onSubmit("new-room-form", async (form) => {
  const name = $("new-room-name").value.trim();
  const members = $("new-room-members").value.split(",").map((m) => m.trim()).filter(Boolean);
  const room = await api("/api/chat/rooms/", { name, members });
  form.reset();
  joinNew(room);
  feedback(`Created ${room.title}.`);
});

onSubmit("invite-form", async (form) => {
  const room = joinedRoom();
  const blocker = inviteBlocker(room);
  if (blocker) throw new Error(blocker);
  const usernameToInvite = el.inviteUsername.value.trim();
  await api(`/api/chat/rooms/${encodeURIComponent(room)}/members/`, { username: usernameToInvite });
  form.reset();
  feedback(`Invited ${usernameToInvite}.`);
});

onSubmit("direct-form", async (form) => {
  const room = await api("/api/chat/direct/", { username: $("direct-username").value.trim() });
  form.reset();
  joinNew(room);
});

// A reload (or a shared link) rejoins the room in the address bar.
if (el.name) el.name.value = sessionStorage.getItem("chat-name") ?? "";
const wanted = new URLSearchParams(location.search).get("room");
if (wanted && ROOM_NAME.test(wanted) && (username || el.name.value.trim())) {
  join(wanted);
} else if (wanted) {
  el.room.value = wanted;
}
