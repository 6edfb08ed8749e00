// One connection to the chat that follows any number of rooms, and survives network trouble.
//
// ChatConnection holds the socket at /ws/chat/. It reconnects by itself with
// jittered exponential backoff and, once back, subscribes every room it
// follows again with one cursor, {room: last seq delivered}, so each room
// resumes exactly where it stopped. Each followed room is a RoomChannel: it
// delivers the room's messages exactly once, in seq order, and resends what
// the server has not acknowledged (same client id, so the server stores it
// once). Neither knows anything about the page: they report through callbacks.

import { keepAlive } from "../heartbeat.js";

// Close codes after which retrying cannot help: signed out, denied, or no such endpoint.
const FINAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;
// Why the server stopped following a room, as the close code a one-room connection would get.
const UNSUBSCRIBED_AS = { login_required: 4401, forbidden: 4403 };

export class ChatConnection {
  constructor({ guestName = "", on = {} } = {}) {
    this.guestName = guestName;
    this.on = on; // { rooms, added, removed, notice, mention, read, activity, error }
    this.channels = new Map(); // room name -> RoomChannel
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
  }

  open() {
    this.connect();
  }

  // Follow `room`, reporting to `on` (see RoomChannel); following it already starts it over.
  follow(room, on = {}) {
    let channel = this.channels.get(room);
    if (!channel) {
      channel = new RoomChannel(this, room);
      this.channels.set(room, channel);
    }
    channel.ready = false; // until it has caught up again
    channel.on = on;
    channel.on.state?.(this.isOpen() ? "connecting" : "reconnecting");
    this.subscribe([channel]);
    return channel;
  }

  unfollow(room) {
    if (this.channels.delete(room)) {
      this.sendFrame({ action: "unsubscribe", payload: { rooms: [room] } });
    }
  }

  subscribe(channels) {
    if (!channels.length) return;
    const payload = { rooms: Object.fromEntries(channels.map((c) => [c.room, c.lastSeq])) };
    if (this.guestName) payload.name = this.guestName;
    this.sendFrame({ action: "subscribe", payload });
  }

  toRoom(room, frame) {
    this.sendFrame({ action: "in_room", payload: { room, frame } });
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  sendFrame(frame) {
    if (this.isOpen()) this.socket.send(JSON.stringify(frame));
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/chat/`;
  }

  connect() {
    clearTimeout(this.timer);
    const socket = new WebSocket(this.url());
    this.socket = socket;
    keepAlive(socket);
    socket.addEventListener("open", () => this.subscribe([...this.channels.values()]));
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return; // a socket we already replaced
      this.socket = null;
      for (const channel of this.channels.values()) channel.ready = false;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        for (const channel of this.channels.values()) channel.on.state?.("failed", event.code);
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
    for (const channel of this.channels.values()) {
      channel.on.state?.("reconnecting", `retrying in ${(delay / 1000).toFixed(1)} s`);
    }
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
        if (payload.status_code !== 200) this.on.error?.(payload.data?.detail ?? payload.status_text);
        break;
      case "room_list":
        this.attempt = 0;
        this.on.rooms?.(payload.rooms);
        break;
      case "room_added":
        this.on.added?.(payload);
        break;
      case "room_removed":
        this.on.removed?.(payload.room);
        break;
      case "direct_message":
        this.on.notice?.(payload);
        break;
      case "mentioned":
        // Someone named you, in any room: every tab hears of it.
        this.on.mention?.(payload);
        break;
      case "read_state":
        // How far you have read a room, moved here or in another tab.
        this.on.read?.(payload);
        break;
      case "room_activity":
        // A message in one of your rooms that this connection does not follow.
        this.on.activity?.(payload);
        break;
      case "in_room":
        this.channels.get(payload.room)?.receive(payload.frame);
        break;
      case "unsubscribed":
        this.unsubscribed(payload);
        break;
      case "error":
        if (payload?.room) this.channels.get(payload.room)?.refused(payload);
        else this.on.error?.(describeError(payload));
        break;
    }
  }

  unsubscribed({ room, reason, detail }) {
    const channel = this.channels.get(room);
    if (!channel || reason === "requested") return;
    this.channels.delete(room);
    if (detail) channel.on.error?.(detail);
    channel.on.state?.("failed", UNSUBSCRIBED_AS[reason] ?? detail);
  }
}

// One followed room: its messages in order, once, and what this page sent to it.
export class RoomChannel {
  constructor(connection, room) {
    this.connection = connection;
    this.room = room;
    this.on = {}; // { state, message, change, history, own, presence, typing, receipts, error, reset }
    this.lastSeq = null; // newest seq delivered; null until the first history page
    this.pending = new Map(); // client_id -> payload, sent but not yet acknowledged
    this.mine = new Set(); // client ids of every message posted from this page
    this.ready = false; // caught up on the current connection: changes go at once
    this.waiting = []; // changes (edits, deletions, reactions) made while not ready
  }

  close() {
    this.connection.unfollow(this.room);
  }

  // `attachments`: ids of your uploads to this room (see the HTTP API), sent with the message.
  post(message, name, attachments = []) {
    const clientId = crypto.randomUUID();
    const payload = { message, client_id: clientId };
    if (name) payload.name = name;
    if (attachments.length) payload.attachments = attachments;
    this.pending.set(clientId, payload);
    this.mine.add(clientId);
    this.connection.toRoom(this.room, { action: "new_chat_message", payload });
    return clientId;
  }

  // Edits, deletions and reactions are entries of the room's stream: everyone, this page too,
  // gets them, so the page shows a change when it comes back rather than when it is made.
  edit(seq, message) {
    this.change("edit_message", { seq, message });
  }

  remove(seq) {
    this.change("delete_message", { seq });
  }

  // Add your `emoji` to a message, or take it back.
  react(seq, emoji, remove = false) {
    this.change("react", { seq, emoji, remove });
  }

  // A change made while the connection is down (or not yet caught up) waits,
  // and goes once the room has caught up; its client id makes a resend safe.
  change(action, payload) {
    const frame = { action, payload: { ...payload, client_id: crypto.randomUUID() } };
    if (this.ready && this.connection.isOpen()) this.connection.toRoom(this.room, frame);
    else this.waiting.push(frame);
  }

  typing() {
    this.connection.toRoom(this.room, { action: "typing" });
  }

  // Read up to `seq`: every tab of yours, and the members of a room with receipts, hear of it.
  markRead(seq) {
    this.connection.toRoom(this.room, { action: "mark_read", payload: { seq } });
  }

  loadOlder(beforeSeq) {
    this.connection.toRoom(this.room, { action: "load_history", payload: { before_seq: beforeSeq } });
  }

  // The messages around `seq` (a search result), shown instead of the newest.
  loadAround(seq) {
    this.connection.toRoom(this.room, { action: "load_history", payload: { around_seq: seq } });
  }

  receive(frame) {
    const payload = frame.payload;
    switch (frame.action) {
      case "chat_history":
        this.receiveHistory(payload);
        break;
      case "new_chat_message":
        this.deliver(payload);
        break;
      case "message_edited":
      case "message_deleted":
      case "reaction_changed":
        this.deliverChange(frame.action, payload);
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
      case "read_receipts":
        this.on.receipts?.(payload.readers, { all: true });
        break;
      case "read_receipt":
        this.on.receipts?.([payload], { all: false });
        break;
      case "muted":
        this.on.muted?.(payload);
        break;
    }
  }

  receiveHistory(page) {
    if (page.around_seq) {
      // Not the stream's newest: the room's cursor stays where it is.
      this.on.context?.(page);
      return;
    }
    const older = this.lastSeq !== null && page.messages.length > 0 && page.messages.at(-1).seq <= this.lastSeq;
    this.on.history?.(page, { older });
    if (!older) {
      // The page shows each message as it is now, up to the room's newest entry.
      for (const message of page.messages) this.lastSeq = Math.max(this.lastSeq ?? 0, message.seq);
      this.lastSeq = Math.max(this.lastSeq ?? 0, page.last_seq ?? 0);
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

  deliverChange(action, change) {
    if (this.lastSeq !== null && change.seq <= this.lastSeq) return; // already applied
    this.lastSeq = change.seq;
    this.on.change?.(action, change);
  }

  // An error about this room; one naming a post's client id refuses that post for good
  // (an attachment it cannot send), so it is not sent again on the next reconnect.
  refused(payload) {
    if (payload.client_id && this.pending.delete(payload.client_id)) {
      this.on.refused?.(payload.client_id);
    }
    this.on.error?.(describeError(payload));
  }

  caughtUp() {
    this.ready = true;
    for (const frame of this.waiting.splice(0)) this.connection.toRoom(this.room, frame);
    this.on.state?.("open");
    // Anything sent but never acknowledged goes again; the client id makes it safe.
    for (const payload of this.pending.values()) {
      this.connection.toRoom(this.room, { action: "new_chat_message", payload });
    }
  }
}

export function describeError(payload) {
  if (Array.isArray(payload)) {
    return payload.map((error) => error.msg).join("; ");
  }
  return payload?.detail ?? "The server could not process that message.";
}
