// The /chat/ page: rooms, history, presence, typing, private rooms and direct messages.
// Text from users is always inserted with textContent, never as HTML.

import { RoomConnection } from "./chat/room-connection.js";

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TYPING_SHOWN_MS = 3000;
const TYPING_SENT_EVERY_MS = 2000;

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
  typing: $("typing"),
  messageForm: $("message-form"),
  messageInput: $("message-input"),
  send: $("send"),
  presence: $("presence"),
  onlineCount: $("online-count"),
  notices: $("notices"),
  feedback: $("room-feedback"),
};
const username = el.page.dataset.username || "";

let connection = null;
let oldestSeq = null;
const shown = new Map(); // client_id -> <li>, so no message is ever shown twice
const online = new Map(); // participant key -> participant
const typingTimers = new Map(); // participant key -> { participant, timer }
let lastTypingSent = 0;

// Messages

function messageItem(message) {
  const item = document.createElement("li");
  item.className = "message";
  const who = document.createElement("span");
  who.className = "author";
  const guest = document.createElement("span");
  guest.className = "guest-tag";
  guest.textContent = "guest";
  const text = document.createElement("span");
  text.className = "text";
  const when = document.createElement("time");
  when.className = "time";
  item.append(who, guest, text, when);
  return item;
}

function fill(item, message) {
  item.dataset.seq = message.seq ?? "";
  item.querySelector(".author").textContent = message.name;
  item.querySelector(".guest-tag").hidden = !message.guest;
  item.querySelector(".text").textContent = message.message;
  const sentAt = message.sent_at ? new Date(message.sent_at) : new Date();
  const when = item.querySelector(".time");
  when.dateTime = sentAt.toISOString();
  when.textContent = sentAt.toLocaleTimeString();
}

function show(message, { own = false, pending = false, prepend = false } = {}) {
  let item = shown.get(message.client_id);
  if (!item) {
    item = messageItem(message);
    shown.set(message.client_id, item);
    if (prepend) el.messages.prepend(item);
    else el.messages.append(item);
  }
  fill(item, message);
  item.classList.toggle("own", own || item.classList.contains("own"));
  item.classList.toggle("pending", pending);
  if (message.seq && (oldestSeq === null || message.seq < oldestSeq)) oldestSeq = message.seq;
  if (!prepend) el.messages.scrollTop = el.messages.scrollHeight;
}

function confirmOwn({ client_id, seq, sent_at }) {
  const item = shown.get(client_id);
  if (!item) return;
  item.classList.remove("pending");
  item.dataset.seq = seq;
}

function systemLine(text, kind = "system") {
  const item = document.createElement("li");
  item.className = `message ${kind}`;
  item.textContent = text;
  el.messages.append(item);
  el.messages.scrollTop = el.messages.scrollHeight;
}

function clearMessages() {
  el.messages.replaceChildren();
  shown.clear();
  oldestSeq = null;
}

function showHistory(page, { older }) {
  if (older) {
    for (const message of [...page.messages].reverse()) show(message, { prepend: true });
  } else {
    for (const message of page.messages) show(message, { own: message.name === username && !message.guest });
  }
  el.loadOlder.hidden = !page.has_more;
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

function setStatus(state, detail = "") {
  const text = {
    connecting: `Connecting to ${connection?.room}…`,
    reconnecting: `Connection lost, ${detail || "reconnecting"}. What you write is sent once it is back.`,
    open: `Connected to ${connection?.room}`,
    failed: `Disconnected. ${CLOSE_EXPLAINED[detail] ?? detail}`,
    idle: "Not connected",
  }[state];
  el.status.dataset.state = state;
  el.status.textContent = text;
  // While (re)connecting you can still write: the message waits as pending
  // and goes out, once, when the room is back.
  const joined = state === "open" || state === "connecting" || state === "reconnecting";
  el.messageInput.disabled = !joined;
  el.send.disabled = !joined;
  if (state === "failed") showJoined(false);
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
  connection?.close();
  clearMessages();
  online.clear();
  renderPresence();
  el.room.value = room;
  history.replaceState(null, "", `?room=${encodeURIComponent(room)}`);
  showJoined(true);
  connection = new RoomConnection(room, {
    guestName: el.name?.value.trim() ?? "",
    on: {
      state: setStatus,
      history: showHistory,
      message: (message) => {
        typingEndedBy(message);
        show(message);
      },
      own: (message) => (message.message ? show(message, { own: true }) : confirmOwn(message)),
      reset: clearMessages,
      presence: updatePresence,
      typing: showTyping,
      notice: (notice) => directNotice(notice),
      error: (detail) => systemLine(detail, "error"),
    },
  });
  connection.open();
}

function leave() {
  connection?.close();
  connection = null;
  online.clear();
  renderPresence();
  showJoined(false);
  setStatus("idle");
  history.replaceState(null, "", location.pathname);
}

function directNotice({ room, name, preview }) {
  const line = document.createElement("p");
  line.className = "notice-line";
  const link = document.createElement("a");
  link.href = `?room=${encodeURIComponent(room)}`;
  link.dataset.room = room;
  link.textContent = `Direct message from ${name}: ${preview}`;
  line.append(link);
  el.notices.prepend(line);
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

el.loadOlder.addEventListener("click", () => {
  if (oldestSeq !== null) connection?.loadOlder(oldestSeq);
});

el.messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = el.messageInput.value.trim();
  if (!text || !connection) return;
  const name = username || el.name.value.trim();
  const clientId = connection.post(text, username ? "" : name);
  show({ client_id: clientId, message: text, name, guest: !username }, { own: true, pending: true });
  el.messageInput.value = "";
});

el.messageInput.addEventListener("input", () => {
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
  join(link.dataset.room);
});

// Private rooms and direct messages go through the HTTP API.

async function api(path, body) {
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value ?? "";
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new Error(data.detail ?? Object.values(data).flat().join(" "));
  return data;
}

function feedback(text) {
  if (el.feedback) el.feedback.textContent = text;
}

function onSubmit(id, handler) {
  $(id)?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await handler();
    } catch (error) {
      feedback(error.message);
    }
  });
}

onSubmit("new-room-form", async () => {
  const name = $("new-room-name").value.trim();
  const members = $("new-room-members").value.split(",").map((m) => m.trim()).filter(Boolean);
  const room = await api("/api/chat/rooms/", { name, members });
  feedback(`Created ${room.name}.`);
  join(room.name);
});

onSubmit("invite-form", async () => {
  const usernameToInvite = $("invite-username").value.trim();
  await api(`/api/chat/rooms/${encodeURIComponent(connection?.room ?? "")}/members/`, {
    username: usernameToInvite,
  });
  feedback(`Invited ${usernameToInvite}.`);
});

onSubmit("direct-form", async () => {
  const room = await api("/api/chat/direct/", { username: $("direct-username").value.trim() });
  join(room.name);
});

// A reload (or a shared link) rejoins the room in the address bar.
if (el.name) el.name.value = sessionStorage.getItem("chat-name") ?? "";
const wanted = new URLSearchParams(location.search).get("room");
if (wanted && ROOM_NAME.test(wanted) && (username || el.name.value.trim())) {
  join(wanted);
} else if (wanted) {
  el.room.value = wanted;
}
