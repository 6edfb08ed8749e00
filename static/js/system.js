// The /system/ page: background jobs with live progress, notifications, and echo.
// Everything from the server is inserted as text. Each job's outcome, refusals
// included, is on its own card; Notifications has only what is sent to everyone;
// an `error` answer to a request that is about no job is shown under the status.

import { keepAlive } from "./heartbeat.js";

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 15000;
const LABELS = { analyze: "Text analysis", export_transcript: "Transcript export" };

const $ = (id) => document.getElementById(id);
const el = {
  status: $("status"),
  requestError: $("request-error"),
  jobForm: $("job-form"),
  taskType: $("task-type"),
  content: $("job-content"),
  start: $("start-job"),
  jobs: $("jobs"),
  notifications: $("notifications"),
  notifyForm: $("notify-form"),
  echoForm: $("echo-form"),
  echoInput: $("echo-input"),
  echoOutput: $("echo-output"),
  echoSend: $("echo-send"),
};

function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${path}`;
}

// A socket that reconnects with jittered backoff and hands each frame to `onFrame`.
function keepConnected(path, { onFrame, onState = () => {}, heartbeat = false }) {
  let socket = null;
  let attempt = 0;
  const connect = () => {
    onState(attempt ? "reconnecting" : "connecting");
    const ws = new WebSocket(wsUrl(path));
    ws.binaryType = "arraybuffer";
    socket = ws;
    if (heartbeat) keepAlive(ws);
    ws.addEventListener("open", () => {
      attempt = 0;
      onState("open");
    });
    ws.addEventListener("message", (event) => onFrame(event.data));
    ws.addEventListener("close", () => {
      if (socket !== ws) return;
      const delay = Math.round(Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt));
      attempt += 1;
      onState("reconnecting", delay);
      setTimeout(connect, delay);
    });
  };
  connect();
  return { send: (data) => socket?.readyState === WebSocket.OPEN && socket.send(data) };
}

// Jobs

function jobItem(jobId) {
  let item = el.jobs.querySelector(`[data-job="${jobId}"]`);
  if (item) return item;
  item = document.createElement("li");
  item.className = "job";
  item.dataset.job = jobId;
  item.innerHTML = `
    <header><span class="kind"></span><span class="state"></span>
      <button type="button" class="cancel">Cancel</button></header>
    <progress max="100" value="0"></progress>
    <div class="step"></div>
    <div class="result"></div>`;
  item.querySelector(".cancel").addEventListener("click", () => {
    request({ action: "cancel_job", payload: { job_id: jobId } });
  });
  el.jobs.prepend(item);
  return item;
}

function showJob(job) {
  const item = jobItem(job.job_id);
  item.className = `job ${job.status}`;
  item.dataset.status = job.status;
  item.querySelector(".kind").textContent = LABELS[job.task_type] ?? job.task_type;
  item.querySelector(".state").textContent = job.status;
  item.querySelector("progress").value = job.progress;
  item.querySelector(".step").textContent = job.error || `${job.progress}% · ${job.progress_message}`;
  item.querySelector(".cancel").hidden = ["succeeded", "failed", "cancelled"].includes(job.status);
  if (job.status === "succeeded") item.querySelector(".result").replaceChildren(resultView(job));
}

function resultView({ task_type, result }) {
  if (task_type === "export_transcript") {
    const links = document.createElement("p");
    links.append(`${result.messages} messages: `);
    for (const [format, href] of Object.entries(result.downloads)) {
      const link = document.createElement("a");
      link.href = href;
      link.className = `download-${format}`;
      link.textContent = format === "markdown" ? "Markdown" : "JSON";
      links.append(link, " ");
    }
    return links;
  }
  const table = document.createElement("table");
  const rows = [
    ["Characters", result.characters],
    ["Lines", result.lines],
    ["Words", result.words],
    ["Unique words", result.unique_words],
    ["Most frequent", result.top_words.map(([word, count]) => `${word} (${count})`).join(", ")],
  ];
  for (const [label, value] of rows) {
    const row = table.insertRow();
    row.insertCell().textContent = label;
    row.insertCell().textContent = String(value);
  }
  return table;
}

// What the server refused of a request that is about no job; the next request clears it.
function showRequestError(message) {
  el.requestError.textContent = message;
  el.requestError.hidden = false;
}

function request(frame) {
  el.requestError.hidden = true;
  el.requestError.textContent = "";
  system.send(JSON.stringify(frame));
}

function notify({ message, level, sent_at }) {
  $("no-notifications")?.remove();
  const item = document.createElement("li");
  item.className = level;
  item.textContent = `${new Date(sent_at).toLocaleTimeString()} ${message}`;
  el.notifications.prepend(item);
}

function onSystemFrame(data) {
  const frame = JSON.parse(data);
  const payload = frame.payload;
  switch (frame.action) {
    case "job_list":
      el.jobs.replaceChildren();
      for (const job of [...payload.jobs].reverse()) showJob(job);
      break;
    case "job_queued":
    case "job_progress":
    case "job_result":
      showJob(payload);
      break;
    case "system_notification":
      notify(payload);
      break;
    case "error":
      showRequestError(Array.isArray(payload) ? payload.map((e) => e.msg).join("; ") : payload.detail);
      break;
  }
}

const system = keepConnected("/ws/system/", {
  heartbeat: true,
  onFrame: onSystemFrame,
  onState(state, delay) {
    el.status.dataset.state = state;
    el.status.textContent = {
      connecting: "Connecting…",
      reconnecting: `Connection lost, retrying${delay ? ` in ${(delay / 1000).toFixed(1)} s` : "…"}`,
      open: "Connected",
    }[state];
    el.start.disabled = state !== "open";
  },
});

el.jobForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const content = el.content.value.trim();
  if (!content) return;
  request({ action: "system_message", payload: { task_type: el.taskType.value, content } });
});

el.notifyForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const message = $("notify-message").value.trim();
  if (!message) return;
  request({ action: "broadcast_notification", payload: { message, level: $("notify-level").value } });
  $("notify-message").value = "";
});

// Echo

const echo = keepConnected("/ws/system/echo/", {
  // Echo only over an open socket: a frame sent before would be lost.
  onState(state) {
    el.echoSend.disabled = state !== "open";
  },
  onFrame(data) {
    const line = typeof data === "string" ? data : `<${data.byteLength} bytes echoed as binary>`;
    el.echoOutput.textContent = `${line}\n${el.echoOutput.textContent}`.slice(0, 4000);
  },
});

el.echoForm.addEventListener("submit", (event) => {
  event.preventDefault();
  echo.send(el.echoInput.value);
  el.echoInput.value = "";
});
