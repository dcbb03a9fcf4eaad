// The page editor, an enhanced <textarea> (see docs/architecture.md, "The editor"): toolbar,
// shortcuts, list editing, [[ completion, live preview beside the text, a warning before
// leaving unsaved changes, and drafts kept in this browser until saved.
// Everything here is an enhancement: without JavaScript the form posts as it always did, and
// the Preview button renders the preview on the server.
(function () {
  "use strict";
  var form = document.querySelector("form.edit-form");
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var editor = form.querySelector("[data-editor]");
  var toolbar = form.querySelector(".editor-toolbar");
  var preview = document.getElementById("preview");
  var previewBody = preview && preview.querySelector(".preview-body");
  var saveButton = form.querySelector("[data-save]");
  var previewButton = form.querySelector("[data-preview]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var key = "nexus-draft:" + form.dataset.draftKey;
  var PENDING = "nexus-draft-pending";
  var isMac = /Mac|iPhone|iPad/.test(navigator.platform || "");

  form.classList.add("is-enhanced");
  if (toolbar) toolbar.hidden = false;
  var keysHelp = form.querySelector(".editor-keys");
  if (keysHelp) {
    keysHelp.hidden = false;
    if (isMac) keysHelp.textContent = keysHelp.textContent.replace(/Ctrl\+/g, "⌘");
  }

  // --- editing primitives -----------------------------------------------------------------
  // Text goes in through execCommand("insertText") where it works, so the browser's own undo
  // (Ctrl+Z) undoes toolbar actions too; setRangeText is the fallback.
  function replaceRange(start, end, text, selectStart, selectEnd) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || body.value.slice(start, start + text.length) !== text) {
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    body.setSelectionRange(selectStart === undefined ? start + text.length : selectStart,
                           selectEnd === undefined ? (selectStart === undefined ? start + text.length : selectStart) : selectEnd);
  }
  function wrap(before, after, placeholder) {
    var s = body.selectionStart, e = body.selectionEnd;
    var selected = body.value.slice(s, e) || placeholder;
    replaceRange(s, e, before + selected + after, s + before.length, s + before.length + selected.length);
  }
  function lineStart(pos) { return body.value.lastIndexOf("\n", pos - 1) + 1; }
  function lineEnd(pos) { var i = body.value.indexOf("\n", pos); return i === -1 ? body.value.length : i; }
  function prefixLines(prefix, numbered) {
    var collapsed = body.selectionStart === body.selectionEnd;
    var s = lineStart(body.selectionStart), e = lineEnd(body.selectionEnd);
    var lines = body.value.slice(s, e).split("\n");
    var out = lines.map(function (line, i) {
      var p = numbered ? (i + 1) + ". " : prefix;
      return line.indexOf(p) === 0 ? line.slice(p.length) : p + line;  // a second press removes it
    }).join("\n");
    if (collapsed) replaceRange(s, e, out);  // typing goes on after the marker
    else replaceRange(s, e, out, s, s + out.length);
  }
  function insertBlock(text, selectFrom, selectLength) {
    var s = body.selectionStart, e = body.selectionEnd, v = body.value;
    var before = s > 0 && v[s - 1] !== "\n" ? "\n\n" : (s > 1 && v[s - 2] !== "\n" ? "\n" : "");
    var after = e < v.length && v[e] !== "\n" ? "\n\n" : "";
    replaceRange(s, e, before + text + after, s + before.length + selectFrom,
                 s + before.length + selectFrom + selectLength);
  }

  var actions = {
    bold: function () { wrap("**", "**", "bold text"); },
    italic: function () { wrap("_", "_", "italic text"); },
    code: function () { wrap("`", "`", "code"); },
    heading: function () {
      var s = lineStart(body.selectionStart), line = body.value.slice(s, lineEnd(s));
      var m = /^(#{1,5}) /.exec(line);
      if (m) replaceRange(s, s + m[0].length, m[1] + "# ");  // ## -> ### ...
      else if (/^###### /.test(line)) replaceRange(s, s + 7, "");
      else replaceRange(s, s, "## ");
    },
    link: function () {
      var s = body.selectionStart, e = body.selectionEnd, text = body.value.slice(s, e) || "link text";
      var out = "[" + text + "](https://)";
      replaceRange(s, e, out, s + text.length + 3, s + out.length - 1);  // select the address
    },
    wikilink: function () {
      var s = body.selectionStart, e = body.selectionEnd, text = body.value.slice(s, e);
      replaceRange(s, e, "[[" + text + "]]", s + 2, s + 2 + text.length);
      if (!text) complete.update();
    },
    codeblock: function () {
      var text = body.value.slice(body.selectionStart, body.selectionEnd) || "code";
      insertBlock("```\n" + text + "\n```", 4, text.length);
    },
    list: function () { prefixLines("- "); },
    tasklist: function () { prefixLines("- [ ] "); },
    quote: function () { prefixLines("> "); },
    table: function () {
      insertBlock("| Column | Column |\n| ------ | ------ |\n| Cell   | Cell   |", 2, 6);
    },
    image: function () { pickFile(); },
    "toggle-preview": function () { setLive(!live); }
  };
  if (toolbar) {
    toolbar.addEventListener("mousedown", function (event) {
      if (event.target.closest("button")) event.preventDefault();  // keep the selection in the text
    });
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button && actions[button.dataset.action]) actions[button.dataset.action]();
    });
    // The ARIA toolbar pattern: one Tab stop, arrow keys (Home, End) move between buttons.
    var tools = function () {
      return Array.prototype.filter.call(toolbar.querySelectorAll("button"), function (b) { return !b.hidden; });
    };
    var roving = function (current) {
      tools().forEach(function (b) { b.tabIndex = b === current ? 0 : -1; });
    };
    roving(tools()[0]);
    toolbar.addEventListener("keydown", function (event) {
      var list = tools(), at = list.indexOf(document.activeElement), next = null;
      if (at === -1) return;
      if (event.key === "ArrowRight") next = list[(at + 1) % list.length];
      else if (event.key === "ArrowLeft") next = list[(at - 1 + list.length) % list.length];
      else if (event.key === "Home") next = list[0];
      else if (event.key === "End") next = list[list.length - 1];
      if (!next) return;
      event.preventDefault();
      roving(next);
      next.focus();
    });
    toolbar.addEventListener("focusin", function (event) {
      if (event.target.closest("button")) roving(event.target.closest("button"));
    });
  }

  // --- lists: Enter continues them, Tab indents them ------------------------------------------
  var LIST_ITEM = /^(\s*)([-*+]|(\d+)([.)]))(\s+)(\[[ xX]\]\s+)?/;
  function onEnter(event) {
    var s = body.selectionStart;
    if (s !== body.selectionEnd) return false;
    var start = lineStart(s), line = body.value.slice(start, s);
    var m = LIST_ITEM.exec(line);
    if (!m || s < start + m[0].length) return false;
    event.preventDefault();
    if (line.length === m[0].length && lineEnd(s) === s) {  // an empty item ends the list
      replaceRange(start, s, "");
      return true;
    }
    var marker = m[3] ? (parseInt(m[3], 10) + 1) + m[4] : m[2];
    replaceRange(s, s, "\n" + m[1] + marker + m[5] + (m[6] ? "[ ] " : ""));
    return true;
  }
  function onTab(event) {
    var s = lineStart(body.selectionStart), e = lineEnd(body.selectionEnd);
    var lines = body.value.slice(s, e).split("\n");
    if (!lines.every(function (line) { return LIST_ITEM.test(line) || !line.trim(); })) return false;
    event.preventDefault();  // only in a list: elsewhere Tab moves the focus, as it should
    var caret = body.selectionStart, collapsed = caret === body.selectionEnd;
    var out = lines.map(function (line) {
      if (!line.trim()) return line;
      return event.shiftKey ? line.replace(/^( {1,2}|\t)/, "") : "  " + line;
    }).join("\n");
    var moved = out.length - (e - s);  // one line: the caret moves with its text
    if (collapsed && lines.length === 1) replaceRange(s, e, out, Math.max(s, caret + moved));
    else replaceRange(s, e, out, s, s + out.length);
    return true;
  }

  // --- shortcuts -------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    var mod = isMac ? event.metaKey : event.ctrlKey;
    if (mod && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      form.requestSubmit(saveButton);
      return;
    }
    if (mod && event.key === "Enter") {
      event.preventDefault();
      showPreview(true);
      return;
    }
    if (event.target !== body) return;
    if (complete.onKey(event)) return;
    if (mod && !event.altKey && !event.shiftKey) {
      var k = event.key.toLowerCase();
      if (k === "b" || k === "i" || k === "k") {
        event.preventDefault();
        actions[{ b: "bold", i: "italic", k: "link" }[k]]();
        return;
      }
    }
    if (event.key === "Enter" && !mod && !event.shiftKey && !event.isComposing) onEnter(event);
    else if (event.key === "Tab" && !mod && !event.altKey) onTab(event);
  });

  // --- [[ completion ------------------------------------------------------------------------------
  var complete = (function () {
    var list = document.createElement("ul");
    list.id = "wikilink-suggestions";
    list.className = "completions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Pages and sections to link");
    list.hidden = true;
    editor.querySelector(".editor-main").appendChild(list);
    body.setAttribute("aria-autocomplete", "list");
    body.setAttribute("aria-controls", list.id);
    var items = [], active = -1, context = null, timer = null, controller = null;
    var OPEN = /\[\[([^\[\]|#\n]*)(?:#([^\[\]|\n]*))?$/;

    function close() {
      list.hidden = true;
      items = [];
      active = -1;
      context = null;
      body.removeAttribute("aria-activedescendant");
    }
    function caretPosition() {
      // A hidden copy of the textarea, same font and width, measures where the caret is.
      var mirror = document.createElement("div"), style = getComputedStyle(body);
      ["fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "paddingTop", "paddingLeft",
       "paddingRight", "borderTopWidth", "borderLeftWidth", "boxSizing", "tabSize"].forEach(function (p) {
        mirror.style[p] = style[p];
      });
      mirror.className = "caret-mirror";
      mirror.style.width = body.clientWidth + "px";
      mirror.textContent = body.value.slice(0, body.selectionStart);
      var mark = document.createElement("span");
      mark.textContent = "\u200b";
      mirror.appendChild(mark);
      document.body.appendChild(mirror);
      var top = mark.offsetTop + mark.offsetHeight - body.scrollTop, left = mark.offsetLeft;
      document.body.removeChild(mirror);
      return { top: Math.min(top, body.clientHeight) + body.offsetTop, left: Math.min(left, body.clientWidth - 200) + body.offsetLeft };
    }
    function show(found, ctx) {
      list.textContent = "";
      items = found;
      context = ctx;
      if (!found.length) { close(); return; }
      found.forEach(function (label, i) {
        var li = document.createElement("li");
        li.id = "wikilink-suggestion-" + i;
        li.setAttribute("role", "option");
        li.textContent = ctx.section !== null ? "#" + label : label;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      var at = caretPosition();
      list.style.top = at.top + "px";
      list.style.left = Math.max(at.left, 0) + "px";
      list.hidden = false;
      select(0);
    }
    function select(i) {
      active = (i + items.length) % items.length;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === active ? "true" : "false");
      });
      body.setAttribute("aria-activedescendant", "wikilink-suggestion-" + active);
      list.children[active].scrollIntoView({ block: "nearest" });
    }
    function choose(i) {
      var label = items[i], ctx = context;
      close();
      var caret = body.selectionStart, v = body.value;
      var closing = v.slice(caret, caret + 2) === "]]";
      if (ctx.section !== null) {
        replaceRange(ctx.start, caret, label + (closing ? "" : "]]"));
        if (closing) body.setSelectionRange(ctx.start + label.length + 2, ctx.start + label.length + 2);
      } else {
        // The caret stays before "]]": typing "#" next offers that page's sections.
        replaceRange(ctx.start, caret, label + (closing ? "" : "]]"), ctx.start + label.length);
      }
    }
    function fetchFor(ctx) {
      var url = form.dataset.completeUrl + "?title=" + encodeURIComponent(ctx.title);
      if (ctx.section !== null) url += "&section=" + encodeURIComponent(ctx.section);
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" },
                   signal: controller ? controller.signal : undefined })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || document.activeElement !== body) return;
          show(ctx.section !== null ? data.sections || [] : data.titles || [], ctx);
        })
        .catch(function () { /* aborted, or offline: no suggestions */ });
    }
    function update() {
      var caret = body.selectionStart;
      if (caret !== body.selectionEnd) { close(); return; }
      var before = body.value.slice(Math.max(0, caret - 300), caret);
      var m = OPEN.exec(before);
      if (!m) { close(); return; }
      var section = m[2] === undefined ? null : m[2];
      var title = m[1].trim() || (section !== null ? form.dataset.pageTitle : "");
      if (!title) { close(); return; }
      var typed = section !== null ? section : m[1];
      var ctx = { title: title, section: section, start: caret - typed.length };
      clearTimeout(timer);
      timer = setTimeout(function () { fetchFor(ctx); }, 150);
    }
    function onKey(event) {
      if (list.hidden) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        select(active + (event.key === "ArrowDown" ? 1 : -1));
        return true;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(active);
        return true;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        return true;
      }
      return false;
    }
    body.addEventListener("input", update);
    body.addEventListener("blur", function () { setTimeout(close, 150); });
    close();
    return { update: update, onKey: onKey };
  })();

  // --- live preview, side by side -------------------------------------------------------------
  var live = false, previewTimer = null, inFlight = false, again = false, lastSent = null, pausedUntil = 0;
  var MIN_GAP = 1500;  // ms between requests: well inside PREVIEWS_PER_USER (60 a minute)
  var lastAt = 0;
  var toggle = toolbar && toolbar.querySelector("[data-action=toggle-preview]");
  var status = document.createElement("p");
  status.className = "preview-status muted";
  status.setAttribute("role", "status");
  if (preview) preview.insertBefore(status, previewBody);

  function requestPreview(force) {
    if (!preview || !window.fetch) return Promise.resolve(false);
    var text = body.value;
    if (!force && text === lastSent) return Promise.resolve(true);
    if (Date.now() < pausedUntil && !force) return Promise.resolve(false);
    if (inFlight) { again = true; return Promise.resolve(true); }
    inFlight = true;
    lastSent = text;
    lastAt = Date.now();
    var data = new FormData();
    data.append("body", text);
    return fetch(form.dataset.previewUrl, {
      method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf }
    }).then(function (response) {
      if (response.status === 429) {
        var wait = parseInt(response.headers.get("Retry-After") || "30", 10);
        pausedUntil = Date.now() + wait * 1000;
        status.textContent = "Live preview paused for " + wait + " s (too many previews). Your text is safe.";
        lastSent = null;
        return false;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text().then(function (html) {
        // The server's sanitizer produced this HTML, with its links made inert; the CSP
        // forbids inline scripts anyway.
        previewBody.innerHTML = html;
        status.textContent = "";
        preview.hidden = false;
        syncScroll();
        return true;
      });
    }).catch(function () {
      lastSent = null;
      status.textContent = "The preview could not be updated; it will try again as you type.";
      return false;
    }).finally(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }
  function schedule() {
    if (!live) return;
    clearTimeout(previewTimer);
    var wait = Math.max(500, MIN_GAP - (Date.now() - lastAt));  // debounced and spaced out
    previewTimer = setTimeout(function () { requestPreview(false); }, wait);
  }
  function setLive(on) {
    live = on && !!preview;
    if (toggle) toggle.setAttribute("aria-pressed", live ? "true" : "false");
    editor.classList.toggle("is-live", live);
    try { localStorage.setItem("nexus-live-preview", live ? "on" : "off"); } catch (e) { /* disabled */ }
    if (live) { preview.hidden = false; requestPreview(false); }
    else if (preview && !previewBody.innerHTML.trim()) preview.hidden = true;
  }
  function showPreview(scroll) {
    requestPreview(true).then(function (ok) {
      if (!ok && !live) { form.requestSubmit(previewButton); return; }  // the server-rendered preview
      if (scroll && !editor.classList.contains("is-live")) preview.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  }
  if (previewButton) {
    previewButton.addEventListener("click", function (event) {
      event.preventDefault();
      showPreview(true);
    });
  }
  body.addEventListener("input", schedule);

  // Scroll-synced: the preview follows the text proportionally (both panes scroll on their own).
  var syncing = false;
  function syncScroll() {
    if (!live || syncing) return;
    var range = body.scrollHeight - body.clientHeight;
    var ratio = range > 0 ? body.scrollTop / range : 0;
    syncing = true;
    preview.scrollTop = ratio * (preview.scrollHeight - preview.clientHeight);
    requestAnimationFrame(function () { syncing = false; });
  }
  body.addEventListener("scroll", syncScroll);
  var stored = null;
  try { stored = localStorage.getItem("nexus-live-preview"); } catch (e) { stored = null; }
  setLive(stored !== "off");

  // --- uploads (wiki/static/js/uploads.js, when present) ----------------------------------------
  // uploads.js defines window.nexusUpload(file) -> Promise of the Markdown to insert, and itself
  // uploads files pasted or dropped on this textarea (named pasted-<time> when pasted). The
  // toolbar's Image button picks files and inserts what nexusUpload answers at the cursor.
  var imageButton = toolbar && toolbar.querySelector("[data-action=image]");
  function uploadAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      window.nexusUpload(file).then(function (markdown) {
        var s = body.selectionStart;
        replaceRange(s, body.selectionEnd, markdown);
      }).catch(function (error) {
        status.textContent = "The upload failed: " + (error && error.message ? error.message : error);
      });
    });
  }
  function pickFile() {
    var input = document.createElement("input");
    input.type = "file";
    input.addEventListener("change", function () { if (input.files.length) uploadAll(input.files); });
    input.click();
  }
  function offerUploads() { if (imageButton) imageButton.hidden = typeof window.nexusUpload !== "function"; }
  offerUploads();
  window.addEventListener("load", offerUploads);  // uploads.js may load after this script

  // --- drafts ---------------------------------------------------------------------------------
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
      body.dispatchEvent(new Event("input", { bubbles: true }));
      notice.hidden = true;
    });
    notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
      localStorage.removeItem(key);
      notice.hidden = true;
    });
  }
  var draftTimer = null;
  body.addEventListener("input", function () {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      try { localStorage.setItem(key, JSON.stringify({ text: body.value, time: Date.now() })); } catch (e) { /* full or disabled */ }
    }, 400);
  });

  // --- leaving with unsaved changes -------------------------------------------------------------
  // A form shown again after a POST (a failed save, a preview, a conflict's result) holds text
  // that is not saved: it counts as changed from the start.
  var unsavedOnArrival = form.hasAttribute("data-unsaved");
  var initial = { body: body.value, summary: form.summary ? form.summary.value : "" };
  var submitting = false;
  function changed() {
    return body.value !== initial.body || (form.summary && form.summary.value !== initial.summary) || unsavedOnArrival;
  }
  form.addEventListener("submit", function (event) {
    submitting = true;
    // Cleared once the next page shows the save went through (drafts.js), not before:
    // a save that fails comes back to this editor with the draft still there.
    if (!event.submitter || !event.submitter.hasAttribute("data-preview")) {
      sessionStorage.setItem(PENDING, key);
    }
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !changed()) return;
    event.preventDefault();
    event.returnValue = "";  // the browser shows its own "leave this page?" question
  });
})();
