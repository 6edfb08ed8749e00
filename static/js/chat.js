// The /chat/ page: join a room over /ws/chat/<room>/, post and see messages live.
// Text from users is always inserted with textContent, never as HTML.

const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
// Close codes after which retrying cannot help: denied, or no such endpoint.
const FINAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;

const el = {
  joinForm: document.getElementById("join-form"),
  name: document.getElementById("name"),
  room: document.getElementById("room"),
  join: document.getElementById("join"),
  leave: document.getElementById("leave"),
  status: document.getElementById("status"),
  messages: document.getElementById("messages"),
  messageForm: document.getElementById("message-form"),
  messageInput: document.getElementById("message-input"),
  send: document.getElementById("send"),
};

let socket = null;
let room = null;
let attempt = 0;
let reconnectTimer = null;

function setStatus(state, text) {
  el.status.dataset.state = state;
  el.status.textContent = text;
  const open = state === "open";
  el.messageInput.disabled = !open;
  el.send.disabled = !open;
}

function addLine({ author = "", text, time = null, kind = "" }) {
  const item = document.createElement("li");
  item.className = `message ${kind}`.trim();
  if (author) {
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = author;
    item.append(who);
  }
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  item.append(body);
  if (time) {
    const when = document.createElement("time");
    when.className = "time";
    when.dateTime = time.toISOString();
    when.textContent = time.toLocaleTimeString();
    item.append(when);
  }
  el.messages.append(item);
  el.messages.scrollTop = el.messages.scrollHeight;
}

function describeError(payload) {
  if (Array.isArray(payload)) {
    return payload.map((error) => error.msg).join("; ");
  }
  return payload?.detail ?? "The server could not process that message.";
}

const handlers = {
  authentication(payload) {
    if (payload.status_code !== 200) {
      addLine({ text: `Not allowed in: ${payload.data?.detail ?? payload.status_text}`, kind: "error" });
    }
  },
  new_chat_message(payload) {
    addLine({ author: payload.name, text: payload.message, time: new Date(payload.sent_at) });
  },
  error(payload) {
    addLine({ text: describeError(payload), kind: "error" });
  },
};

function socketUrl(roomName) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/chat/${encodeURIComponent(roomName)}/`;
}

function connect() {
  clearTimeout(reconnectTimer);
  setStatus(attempt ? "reconnecting" : "connecting", `Connecting to ${room}…`);
  const ws = new WebSocket(socketUrl(room));
  socket = ws;

  ws.addEventListener("open", () => {
    attempt = 0;
    setStatus("open", `Connected to ${room}`);
  });
  ws.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    handlers[frame.action]?.(frame.payload);
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return; // a socket we already left
    socket = null;
    if (event.code === 1000 || FINAL_CLOSE_CODES.has(event.code)) {
      setStatus("failed", `Disconnected (${event.reason || `code ${event.code}`})`);
      showJoined(false);
      return;
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  // Exponential backoff with full jitter, so a server restart is not met by a stampede.
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
  const delay = Math.round(Math.random() * ceiling);
  attempt += 1;
  setStatus("reconnecting", `Connection lost, retrying in ${(delay / 1000).toFixed(1)} s`);
  reconnectTimer = setTimeout(connect, delay);
}

function showJoined(joined) {
  el.join.hidden = joined;
  el.leave.hidden = !joined;
  el.name.disabled = joined;
  el.room.disabled = joined;
}

function leave() {
  clearTimeout(reconnectTimer);
  const ws = socket;
  socket = null;
  ws?.close(1000, "left the room");
  showJoined(false);
  setStatus("idle", "Not connected");
}

el.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const wanted = el.room.value.trim();
  if (!ROOM_NAME.test(wanted)) {
    setStatus("failed", el.room.title);
    return;
  }
  room = wanted;
  attempt = 0;
  el.messages.replaceChildren();
  showJoined(true);
  connect();
});

el.leave.addEventListener("click", leave);

el.messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = el.messageInput.value.trim();
  if (!text || socket?.readyState !== WebSocket.OPEN) return;
  const name = el.name.value.trim();
  socket.send(JSON.stringify({ action: "new_chat_message", payload: { message: text, name } }));
  // The server does not echo our own messages back, so show it here.
  addLine({ author: name, text, time: new Date(), kind: "own" });
  el.messageInput.value = "";
});
