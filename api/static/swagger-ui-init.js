// Starts Swagger UI on /api/v1/docs (see api/templates/swagger_ui.html): a file, not an
// inline script, so the page works under the Content-Security-Policy script-src 'self'.
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui-container");
  var config = {url: el.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container"};
  var extra = JSON.parse(el.getAttribute("data-config") || "{}");
  for (var key in extra) { config[key] = extra[key]; }
  window.ui = SwaggerUIBundle(config);
});
