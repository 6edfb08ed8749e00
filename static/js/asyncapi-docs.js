// Renders the AsyncAPI document embedded in the page with the standalone viewer.
(function () {
  const root = document.getElementById("asyncapi");
  if (typeof AsyncApiStandalone === "undefined") {
    // The viewer's script did not load (offline without `npm ci`, or blocked):
    // say so, and point at the document itself.
    const notice = document.createElement("p");
    notice.className = "notice";
    notice.setAttribute("role", "alert");
    const link = document.createElement("a");
    link.href = root.dataset.schemaUrl;
    link.textContent = "the AsyncAPI document";
    notice.append("The API viewer could not load. Read ", link, " as JSON instead.");
    root.replaceChildren(notice);
    return;
  }
  const schema = JSON.parse(document.getElementById("asyncapi-schema").textContent);
  AsyncApiStandalone.render({ schema, config: { show: { sidebar: true } } }, root);
})();
