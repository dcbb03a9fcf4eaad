// Inside the sandboxed /-/diagram-frame: draw the Mermaid source the page sends, and send back
// the picture as a plain tree of elements (name, attributes, CSS text, children) plus its
// style sheet, or Mermaid's error. No markup is parsed on the page's side: it builds the
// elements itself and sets their styles through the CSSOM. See wiki/blueprints/diagrams/views.py.
(function () {
  "use strict";
  // "secure": keys a diagram's own %%{init}%% directive may not change (themeCSS would let an
  // author write CSS; the page scopes and de-fangs it anyway, diagrams.js).
  var settings = { startOnLoad: false, securityLevel: "strict", htmlLabels: false,
                   flowchart: { htmlLabels: false }, fontFamily: "system-ui, sans-serif",
                   secure: ["secure", "securityLevel", "startOnLoad", "maxTextSize", "maxEdges", "themeCSS",
                            "themeVariables", "fontFamily", "altFontFamily", "htmlLabels", "dompurifyConfig"] };
  var MAX_NODES = 20000;

  function tree(el, budget) {
    if (--budget.left < 0) throw new Error("The diagram is too large to show.");
    if (el.nodeType === 3) return el.nodeValue;
    if (el.nodeType !== 1) return null;
    var attrs = {};
    for (var i = 0; i < el.attributes.length; i++) {
      var attr = el.attributes[i];
      if (attr.name !== "style") attrs[attr.name] = attr.value;
    }
    var children = [];
    el.childNodes.forEach(function (child) {
      var node = tree(child, budget);
      if (node !== null) children.push(node);
    });
    return { name: el.localName, attrs: attrs, css: el.getAttribute("style") || "", children: children };
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data || event.data.type !== "render") return;
    var request = event.data;
    settings.theme = request.dark ? "dark" : "default";
    window.mermaid.initialize(settings);
    window.mermaid.parse(String(request.source)).then(function () {
      return window.mermaid.render("nexus-diagram-" + request.id, String(request.source));
    }).then(function (result) {
      var holder = document.createElement("div");
      holder.innerHTML = result.svg;  // allowed here: this frame's own policy
      var svg = holder.querySelector("svg");
      var css = [];
      svg.querySelectorAll("style").forEach(function (s) { css.push(s.textContent); s.remove(); });
      window.parent.postMessage({ id: request.id, css: css.join("\n"), svg: tree(svg, { left: MAX_NODES }) }, "*");
    }).catch(function (error) {
      var message = (error && (error.message || error.str)) || String(error);
      window.parent.postMessage({ id: request.id, error: message.split("\n").slice(0, 6).join("\n") }, "*");
    });
  });
  window.parent.postMessage({ ready: true }, "*");
})();
