// A connection to one chat room that survives network trouble.
//
// It reconnects by itself with jittered exponential backoff, resumes from the
// last seq it delivered (`?last_seq=`), resends messages the server has not
// acknowledged (same client id, so the server stores them once), and delivers
// every message exactly once, in seq order. It knows nothing about the page:
// it reports through callbacks.

import { keepAlive } from "../heartbeat.js";

// Close codes after which retrying cannot help: denied, or no such endpoint.
const FINAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;

export class RoomConnection {
  constructor(room, { guestName = "", on = {} } = {}) {
    this.room = room;
    this.guestName = guestName;
    this.on = on; // { state, message, history, own, presence, typing, notice, error, reset }
    this.lastSeq = null; // newest seq delivered; null until the first history page
    this.pending = new Map(); // client_id -> payload, sent but not yet acknowledged
    this.mine = new Set(); // client ids of every message posted from this page
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.closedByUs = false;
  }

  open() {
    this.closedByUs = false;
    this.connect();
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "left the room");
  }

  post(message, name) {
    const clientId = crypto.randomUUID();
    const payload = { message, client_id: clientId };
    if (name) payload.name = name;
    this.pending.set(clientId, payload);
    this.mine.add(clientId);
    this.sendFrame({ action: "new_chat_message", payload });
    return clientId;
  }

  typing() {
    this.sendFrame({ action: "typing" });
  }

  loadOlder(beforeSeq) {
    this.sendFrame({ action: "load_history", payload: { before_seq: beforeSeq } });
  }

  sendFrame(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const params = new URLSearchParams();
    if (this.lastSeq !== null) params.set("last_seq", String(this.lastSeq));
    if (this.guestName) params.set("name", this.guestName);
    const query = params.toString();
    return `${scheme}://${location.host}/ws/chat/${encodeURIComponent(this.room)}/${query ? `?${query}` : ""}`;
  }

  connect() {
    clearTimeout(this.timer);
    this.on.state?.(this.attempt ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    keepAlive(socket);
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return; // a socket we already replaced or left
      this.socket = null;
      if (this.closedByUs) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.on.state?.("failed", event.code);
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    // Full jitter: a restarted server is not met by every client at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempt);
    const delay = Math.round(Math.random() * ceiling);
    this.attempt += 1;
    this.on.state?.("reconnecting", `retrying in ${(delay / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const payload = frame.payload;
    switch (frame.action) {
      case "authentication":
        if (payload.status_code !== 200) {
          this.on.error?.(payload.data?.detail ?? payload.status_text);
        }
        break;
      case "chat_history":
        this.receiveHistory(payload);
        break;
      case "new_chat_message":
        this.deliver(payload);
        break;
      case "chat_resumed":
        this.caughtUp();
        break;
      case "resync_required":
        // Too far behind to replay: start over from the history page that follows.
        this.lastSeq = null;
        this.on.reset?.();
        break;
      case "message_accepted":
        // Not a delivery: others' earlier messages may still be on their way.
        this.pending.delete(payload.client_id);
        this.on.own?.(payload);
        break;
      case "presence_state":
      case "presence_joined":
      case "presence_left":
        this.on.presence?.(frame.action, payload);
        break;
      case "user_typing":
        this.on.typing?.(payload.participant);
        break;
      case "direct_message":
        this.on.notice?.(payload);
        break;
      case "error":
        this.on.error?.(describeError(payload));
        break;
    }
  }

  receiveHistory(page) {
    const older = this.lastSeq !== null && page.messages.length > 0 && page.messages.at(-1).seq <= this.lastSeq;
    this.on.history?.(page, { older });
    if (!older) {
      for (const message of page.messages) this.lastSeq = Math.max(this.lastSeq ?? 0, message.seq);
      if (this.lastSeq === null) this.lastSeq = 0;
      this.caughtUp();
    }
  }

  deliver(message) {
    if (this.lastSeq !== null && message.seq <= this.lastSeq) return; // already shown
    this.lastSeq = message.seq;
    if (this.mine.has(message.client_id)) {
      // Our own message, replayed after a reconnect: confirm it, don't repeat it.
      this.pending.delete(message.client_id);
      this.on.own?.(message);
      return;
    }
    this.on.message?.(message);
  }

  caughtUp() {
    this.attempt = 0;
    this.on.state?.("open");
    // Anything sent but never acknowledged goes again; the client id makes it safe.
    for (const payload of this.pending.values()) {
      this.sendFrame({ action: "new_chat_message", payload });
    }
  }
}

export function describeError(payload) {
  if (Array.isArray(payload)) {
    return payload.map((error) => error.msg).join("; ");
  }
  return payload?.detail ?? "The server could not process that message.";
}
