// Renders the AsyncAPI document embedded in the page with the standalone viewer.
(function () {
  const schema = JSON.parse(document.getElementById("asyncapi-schema").textContent);
  AsyncApiStandalone.render(
    { schema, config: { show: { sidebar: true } } },
    document.getElementById("asyncapi"),
  );
})();
