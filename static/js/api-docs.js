// /api/docs: Swagger UI (static/vendor/swagger-ui-dist-*) on the wiki's own OpenAPI document.
// Configured from data- attributes: no inline script, so the strict CSP holds.
(function () {
  "use strict";
  var node = document.getElementById("api-reference");
  if (!node || typeof window.SwaggerUIBundle !== "function") {
    return; // the page still links to the document itself
  }
  var csrf = null; // for "Try it out" with this browser's session: writes need the CSRF token
  function csrfToken() {
    if (csrf === null) {
      csrf = fetch(node.dataset.sessionUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) { return s.csrf_token; })
        .catch(function () { return null; });
    }
    return csrf;
  }
  node.classList.add("api-reference-loaded");
  window.SwaggerUIBundle({
    url: node.dataset.specUrl,
    domNode: node,
    deepLinking: true,
    validatorUrl: null, // never ask a third-party validator
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var method = (request.method || "GET").toUpperCase();
      var hasBearer = request.headers && request.headers.Authorization;
      if (method === "GET" || method === "HEAD" || hasBearer) {
        return request;
      }
      return csrfToken().then(function (token) {
        if (token) { request.headers["X-CSRFToken"] = token; }
        return request;
      });
    }
  });
})();
