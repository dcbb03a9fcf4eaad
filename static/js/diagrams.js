// ```mermaid blocks drawn as diagrams, in pages, old revisions and the editor's preview.
// Without JavaScript (or if drawing fails) the source stays as code. Mermaid runs in a
// sandboxed frame (wiki/blueprints/diagrams/views.py); this script takes its SVG text, strips
// anything active, and applies its styles through the CSSOM, so style-src stays 'self'.
(function () {
  "use strict";
  var script = document.currentScript;
  var frameUrl = script && script.dataset.frame;
  if (!frameUrl || !document.adoptedStyleSheets || !window.CSSStyleSheet) return;
  var frame = null, ready = false, queue = [], pending = {}, sheets = {}, counter = 0;

  function isDark() {
    var chosen = document.documentElement.dataset.theme;
    if (chosen) return chosen === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function send(job) {
    if (!ready) { queue.push(job); return; }
    frame.contentWindow.postMessage({ type: "render", id: job.id, source: job.source, dark: isDark() }, "*");
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement("iframe");
    frame.className = "diagram-renderer";
    frame.title = "Diagram renderer";
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.setAttribute("sandbox", "allow-scripts");
    frame.src = frameUrl;
    document.body.appendChild(frame);
  }

  // The frame's tree -> SVG elements made here: nothing is parsed, nothing active is made.
  var SVG_NS = "http://www.w3.org/2000/svg";
  var DROPPED = { script: 1, foreignobject: 1, iframe: 1, object: 1, embed: 1, use: 1, image: 1, animate: 1, set: 1,
                  animatetransform: 1, animatemotion: 1, a: 1 };
  function build(node) {
    if (typeof node === "string") return document.createTextNode(node);
    if (!node || typeof node.name !== "string" || DROPPED[node.name.toLowerCase()]) return null;
    var el = document.createElementNS(SVG_NS, node.name);
    Object.keys(node.attrs || {}).forEach(function (name) {
      var lower = name.toLowerCase();
      if (lower.indexOf("on") === 0 || lower === "href" || lower === "xlink:href" || lower === "style" ||
          lower.indexOf("xmlns") === 0) return;
      try { el.setAttribute(name, String(node.attrs[name])); } catch (e) { /* not a valid name */ }
    });
    if (node.css) el.style.cssText = String(node.css);  // the CSSOM: not an inline style
    (node.children || []).forEach(function (child) {
      var made = build(child);
      if (made) el.appendChild(made);
    });
    return el;
  }

  function picture(message, job) {
    var svg = build(message.svg);
    if (!svg || svg.localName !== "svg") throw new Error("Mermaid gave no picture.");
    svg.id = "nexus-diagram-" + job.id;
    var sheet = sheets[job.id] || new CSSStyleSheet();
    // Mermaid's rules, held to this diagram: every selector must start at its id (other rules
    // are deleted), and nothing can be loaded (no url(); @import is ignored in constructed sheets).
    sheet.replaceSync(String(message.css || "").replace(/url\s*\(/gi, "not-a-url("));
    var own = "#" + svg.id;
    for (var i = sheet.cssRules.length - 1; i >= 0; i--) {
      var rule = sheet.cssRules[i];
      var scoped = rule.type === CSSRule.KEYFRAMES_RULE || (rule.type === CSSRule.STYLE_RULE &&
        rule.selectorText.split(",").every(function (part) {
          part = part.trim();
          return part === own || part.indexOf(own + " ") === 0 || part.indexOf(own + ".") === 0 || part.indexOf(own + ">") === 0;
        }) && !(rule.cssRules && rule.cssRules.length));
      if (!scoped) sheet.deleteRule(i);
    }
    if (!sheets[job.id]) {
      sheets[job.id] = sheet;
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    }
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Diagram; its Mermaid source follows");
    return svg;
  }

  function show(job, message) {
    var holder = job.pre.closest(".diagram") || job.pre.parentNode;
    var old = holder.querySelector(".diagram-picture, .diagram-error");
    if (old) old.remove();
    if (message.svg) {
      var box = document.createElement("div");
      box.className = "diagram-picture";
      box.appendChild(picture(message, job));
      holder.insertBefore(box, holder.firstChild);
      if (!job.details) {  // the source stays one click away
        job.details = document.createElement("details");
        job.details.className = "diagram-source";
        var summary = document.createElement("summary");
        summary.textContent = "Diagram source";
        job.details.appendChild(summary);
        holder.insertBefore(job.details, job.pre);
        job.details.appendChild(job.pre);
      }
    } else {
      var error = document.createElement("p");
      error.className = "diagram-error";
      error.textContent = "This diagram could not be drawn: " + message.error;
      holder.insertBefore(error, holder.firstChild);
    }
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || !event.data) return;
    if (event.data.ready) {
      ready = true;
      queue.splice(0).forEach(send);
      return;
    }
    var job = pending[event.data.id];
    if (!job) return;
    try {
      show(job, event.data);
    } catch (e) {
      show(job, { error: e.message });
    }
  });

  function scan(root) {
    (root.querySelectorAll ? root.querySelectorAll("pre.mermaid:not([data-diagram])") : []).forEach(function (pre) {
      var job = { id: ++counter, pre: pre, source: pre.textContent };
      pre.setAttribute("data-diagram", String(job.id));
      pending[job.id] = job;
      ensureFrame();
      send(job);
    });
  }

  scan(document);
  // The editor's preview replaces its content: draw the diagrams that appear there too.
  new MutationObserver(function (records) {
    records.forEach(function (record) { record.addedNodes.forEach(function (node) { if (node.nodeType === 1) scan(node); }); });
  }).observe(document.body, { childList: true, subtree: true });
  // A new colour scheme: draw again in its colours.
  document.addEventListener("nexus:theme", function () {
    Object.keys(pending).forEach(function (id) { if (document.contains(pending[id].pre)) send(pending[id]); });
  });
})();
