// The page editor: live preview in place, and drafts kept in this browser until saved.
// Everything here is an enhancement: without JavaScript, Preview submits the form.
(function () {
  "use strict";
  var form = document.querySelector("form.edit-form");
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var key = "nexus-draft:" + form.dataset.draftKey;
  var PENDING = "nexus-draft-pending";

  // --- drafts -------------------------------------------------------------------------
  function readDraft() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  var draft = readDraft();
  var notice = document.getElementById("draft-notice");
  if (draft && draft.text !== body.value && notice) {
    notice.querySelector("[data-draft-time]").textContent = new Date(draft.time).toLocaleString();
    notice.hidden = false;
    notice.querySelector("[data-draft-restore]").addEventListener("click", function () {
      body.value = draft.text;
      notice.hidden = true;
    });
    notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
      localStorage.removeItem(key);
      notice.hidden = true;
    });
  }
  var timer = null;
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      try { localStorage.setItem(key, JSON.stringify({ text: body.value, time: Date.now() })); } catch (e) { /* full or disabled */ }
    }, 400);
  });
  form.addEventListener("submit", function (event) {
    // Cleared once the next page shows the save went through (see below), not before:
    // a save that fails comes back to this editor with the draft still there.
    if (!event.submitter || !event.submitter.hasAttribute("data-preview")) {
      sessionStorage.setItem(PENDING, key);
    }
  });

  // --- live preview ---------------------------------------------------------------------
  var button = form.querySelector("[data-preview]");
  var preview = document.getElementById("preview");
  if (button && preview && window.fetch) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var data = new FormData();
      data.append("body", body.value);
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": form.querySelector("input[name=csrf_token]").value }
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      }).then(function (html) {
        // The server's sanitizer produced this HTML; the CSP forbids inline scripts anyway.
        preview.querySelector(".preview-body").innerHTML = html;
        preview.hidden = false;
        preview.scrollIntoView({ behavior: "smooth", block: "start" });
      }).catch(function () {
        form.requestSubmit(button);  // fall back to the server-rendered preview
      });
    });
  }
})();
