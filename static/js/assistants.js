// The /assistants/ page: ask, watch the answer stream in, stop it, come back to it later.
// Answers are Markdown, rendered with marked and sanitised with DOMPurify before they
// touch the page; questions are inserted as text.

import { marked } from "../vendor/marked/marked.esm.js";
import DOMPurify from "../vendor/dompurify/purify.es.mjs";
import { keepAlive } from "./heartbeat.js";

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;

const $ = (id) => document.getElementById(id);
const el = {
  page: $("assistant"),
  status: $("status"),
  turns: $("turns"),
  form: $("ask-form"),
  question: $("question"),
  ask: $("ask"),
  stop: $("stop"),
  conversations: $("conversations"),
};

let conversationId = el.page.dataset.conversation || "";
let socket = null;
let attempt = 0;
let streaming = null; // { item, text } of the answer being streamed
const answers = new Map(); // answer id -> its Markdown so far

function render(markdown) {
  return DOMPurify.sanitize(marked.parse(markdown));
}

function turnItem(role, id) {
  const item = document.createElement("li");
  item.className = `turn ${role}`;
  if (id) item.dataset.id = id;
  const body = document.createElement("div");
  body.className = "body";
  const meta = document.createElement("div");
  meta.className = "meta";
  item.append(body, meta);
  el.turns.append(item);
  return item;
}

function showQuestion(text, id = "") {
  turnItem("user", id).querySelector(".body").textContent = text;
}

function showAnswer(item, { content, status, sources = [], error = "" }) {
  if (item.dataset.id) answers.set(item.dataset.id, content);
  item.className = `turn assistant ${status}`;
  item.querySelector(".body").innerHTML = render(content);
  const notes = [];
  if (status === "interrupted") notes.push("Interrupted.");
  if (status === "failed") notes.push(`Failed: ${error}`);
  // A failed answer showed nothing to source (turns stored by older versions still list some).
  if (sources.length && status !== "failed") {
    notes.push(`Sources: ${sources.map((s) => s.title).join("; ")}`);
  }
  item.querySelector(".meta").textContent = notes.join(" ");
  scrollDown();
}

function scrollDown() {
  el.turns.scrollTop = el.turns.scrollHeight;
}

function answerItem(id) {
  return el.turns.querySelector(`.turn.assistant[data-id="${id}"]`) ?? turnItem("assistant", id);
}

function setStreaming(active) {
  el.stop.hidden = !active;
  el.ask.hidden = active;
  el.question.disabled = active || socket?.readyState !== WebSocket.OPEN;
}

function setStatus(state, text) {
  el.status.dataset.state = state;
  el.status.textContent = text;
  const open = state === "open";
  el.question.disabled = !open || Boolean(streaming);
  el.ask.disabled = !open;
}

const handlers = {
  conversation_state({ conversation, turns }) {
    el.turns.replaceChildren();
    streaming = null;
    for (const turn of turns) {
      if (turn.role === "user") showQuestion(turn.content, turn.id);
      else showAnswer(turnItem("assistant", turn.id), turn);
    }
    const live = turns.find((turn) => turn.status === "streaming");
    if (live) streaming = { item: answerItem(live.id), text: live.content, id: String(live.id) };
    setStreaming(Boolean(live));
    if (conversation) rememberConversation(conversation);
    // Questions are taken from here on: asked earlier, this would wipe them off the page.
    setStatus("open", "Connected");
  },
  streaming_start({ conversation, message_id }) {
    rememberConversation(conversation);
    streaming = { item: answerItem(message_id), text: "", id: String(message_id) };
    streaming.item.className = "turn assistant streaming";
    setStreaming(true);
  },
  streaming({ content }) {
    if (!streaming) return;
    streaming.text += content;
    answers.set(streaming.id, streaming.text);
    streaming.item.querySelector(".body").innerHTML = render(streaming.text);
    scrollDown();
  },
  complete_streaming({ message_id, status, sources, error }) {
    const item = answerItem(message_id);
    showAnswer(item, { content: answers.get(String(message_id)) ?? "", status, sources, error });
    streaming = null;
    setStreaming(false);
    el.question.focus();
  },
  error({ detail }) {
    const item = turnItem("assistant");
    showAnswer(item, { content: "", status: "failed", error: detail ?? "Something went wrong." });
  },
};

function rememberConversation({ id, title }) {
  if (conversationId === id) return;
  conversationId = id;
  history.replaceState(null, "", `?conversation=${id}`);
  $("no-conversations")?.remove();
  const item = document.createElement("li");
  item.className = "current";
  const link = document.createElement("a");
  link.href = `?conversation=${id}`;
  link.textContent = title || "Untitled";
  item.append(link);
  el.conversations.prepend(item);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = conversationId ? `?conversation=${encodeURIComponent(conversationId)}` : "";
  setStatus(attempt ? "reconnecting" : "connecting", "Connecting…");
  const ws = new WebSocket(`${scheme}://${location.host}/ws/assistants/${query}`);
  socket = ws;
  keepAlive(ws);
  ws.addEventListener("open", () => {
    attempt = 0;
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
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
    const delay = Math.round(Math.random() * ceiling);
    attempt += 1;
    setStatus("reconnecting", `Connection lost, retrying in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(connect, delay);
  });
}

function ask() {
  const question = el.question.value.trim();
  if (!question || socket?.readyState !== WebSocket.OPEN || streaming) return;
  showQuestion(question);
  socket.send(JSON.stringify({ action: "assistant_message", payload: question }));
  el.question.value = "";
}

el.form.addEventListener("submit", (event) => {
  event.preventDefault();
  ask();
});

el.question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    ask();
  }
});

el.stop.addEventListener("click", () => {
  socket?.send(JSON.stringify({ action: "stop_streaming" }));
});

connect();
