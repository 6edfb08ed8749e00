// Says `ping` on an open socket often enough that the server does not close it
// as idle (WEBSOCKET_IDLE_TIMEOUT); the page's <meta name="websocket-heartbeat">
// gives the interval in seconds, 0 for never.

const seconds = Number(document.querySelector('meta[name="websocket-heartbeat"]')?.content || 0);

export function keepAlive(ws) {
  if (!(seconds > 0)) return;
  const timer = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ action: "ping" }));
  }, seconds * 1000);
  ws.addEventListener("close", () => clearInterval(timer));
}
