// Reading comfort, all of it optional: every page reads the same without JavaScript.
// - the dark-mode toggle (the choice is applied early by theme.js);
// - relative times ("3 days ago") computed here, from <time datetime>, so the cached HTML of a
//   page never goes stale; the exact time stays in the title, and is the text without JS;
// - a copy button on every code block;
// - the contents box open beside the text on wide screens (browsers without ::details-content);
// - Mermaid diagrams: the vendored Mermaid is loaded only on pages that have one (diagrams.js).
(function () {
  "use strict";
  var root = document.documentElement;

  // --- theme toggle ------------------------------------------------------------------------
  var toggle = document.querySelector("[data-theme-toggle]");
  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function isDark() {
    var chosen = root.dataset.theme;
    return chosen ? chosen === "dark" : !!(systemDark && systemDark.matches);
  }
  function showState() {
    toggle.setAttribute("aria-pressed", isDark() ? "true" : "false");
  }
  if (toggle) {
    toggle.hidden = false;
    showState();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.dataset.theme = next;
      try { localStorage.setItem("nexus-theme", next); } catch (e) { /* not remembered */ }
      showState();
      document.dispatchEvent(new CustomEvent("nexus:theme"));
    });
    if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", showState);
  }

  // --- relative times ----------------------------------------------------------------------
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];
  var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat("en", { numeric: "auto" }) : null;
  function relative(date) {
    var seconds = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < UNITS.length; i++) {
      var size = UNITS[i][1];
      if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), UNITS[i][0]);
    }
    return "just now";
  }
  function refreshTimes() {
    if (!format) return;  // the absolute time stays
    document.querySelectorAll("time.relative-time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date.getTime())) el.textContent = relative(date);
    });
  }
  refreshTimes();
  setInterval(refreshTimes, 60000);

  // --- copy buttons on code blocks ---------------------------------------------------------
  if (navigator.clipboard && navigator.clipboard.writeText) {
    document.querySelectorAll(".content pre:not(.mermaid):not(.render-fallback)").forEach(function (pre) {
      var holder = pre.closest(".code-block") || pre.closest(".codehilite") || pre.parentNode;
      if (!holder.classList.contains("code-block") && !holder.classList.contains("codehilite")) {
        holder = document.createElement("div");
        holder.className = "code-block";
        pre.parentNode.insertBefore(holder, pre);
        holder.appendChild(pre);
      }
      holder.classList.add("has-copy");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = "Copy";
      var lang = holder.querySelector(".code-lang");
      button.setAttribute("aria-label", lang ? "Copy " + lang.textContent + " code" : "Copy code");
      var status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        navigator.clipboard.writeText(code.textContent.replace(/\n$/, "")).then(function () {
          button.textContent = "Copied";
          status.textContent = "Copied to the clipboard";
          setTimeout(function () { button.textContent = "Copy"; status.textContent = ""; }, 2000);
        }, function () {
          button.textContent = "Copy failed";
        });
      });
      holder.insertBefore(button, holder.firstChild);
      holder.appendChild(status);
    });
  }

  // --- contents box ------------------------------------------------------------------------
  var toc = document.querySelector("details[data-toc]");
  var supportsDetailsContent = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (toc && !supportsDetailsContent && window.matchMedia("(min-width: 52.01rem)").matches) toc.open = true;
})();
