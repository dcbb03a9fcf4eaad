// Uploading files from the editor: a file picker, drag and drop, and pasting an image each
// upload the file to the page's files (POST /wiki/<title>/-/files, Accept: application/json,
// CSRF token in X-CSRFToken) and insert the Markdown at the cursor.
//
// One entry point for any editor: window.nexusUpload(file) -> Promise<string>, which
// resolves to the Markdown to insert (e.g. "![shot.png](files/shot.png)") or rejects with an
// Error whose message is the wiki's own explanation. The default handlers below wire it to
// the plain textarea[data-upload-url]; another editor calls nexusUpload itself and inserts
// the string where its cursor is. Without JavaScript the page's Files tab uploads.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-upload-url]");
  // Only where this user may attach files to this page (a saved page): elsewhere no
  // nexusUpload, so editors offer no upload control that could only fail.
  if (!area) return;
  var uploadUrl = area.dataset.uploadUrl;

  function token() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function pastedName(file) {
    // Clipboard images arrive as "image.png": give each its own name.
    var ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    var stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return "pasted-" + stamp + "-" + Math.random().toString(36).slice(2, 6) + "." + ext;
  }

  window.nexusUpload = function (file, name) {
    var data = new FormData();
    data.append("file", file, file.name || "upload");
    if (name) data.append("name", name);
    data.append("csrf_token", token());
    return fetch(uploadUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token() }
    }).then(function (response) {
      return response.json().catch(function () { return { message: "HTTP " + response.status }; })
        .then(function (body) {
          if (!response.ok) throw new Error(body.message || ("HTTP " + response.status));
          return body.markdown;
        });
    });
  };

  if (!area) return;
  var status = document.getElementById("upload-status");

  function say(text) { if (status) status.textContent = text; }

  function insert(text) {
    var start = area.selectionStart, end = area.selectionEnd, value = area.value;
    var before = start > 0 && value[start - 1] !== "\n" ? " " : "";
    area.value = value.slice(0, start) + before + text + value.slice(end);
    var cursor = start + before.length + text.length;
    area.setSelectionRange(cursor, cursor);
    area.dispatchEvent(new Event("input", { bubbles: true }));  // drafts keep it
    area.focus();
  }

  function send(files, named) {
    Array.prototype.forEach.call(files, function (file) {
      say("Uploading " + (file.name || "image") + "…");
      window.nexusUpload(file, named ? pastedName(file) : null).then(function (markdown) {
        insert(markdown);
        say("Uploaded: " + markdown);
      }, function (error) { say("Not uploaded: " + error.message); });
    });
  }

  area.addEventListener("paste", function (event) {
    var items = (event.clipboardData && event.clipboardData.files) || [];
    var images = Array.prototype.filter.call(items, function (f) { return f.type.indexOf("image/") === 0; });
    if (images.length) { event.preventDefault(); send(images, true); }
  });
  area.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) event.preventDefault();
  });
  area.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      area.focus();
      send(event.dataTransfer.files, false);
    }
  });
  var picker = document.getElementById("upload-picker");
  if (picker) {
    picker.hidden = false;
    picker.querySelector("input[type=file]").addEventListener("change", function (event) {
      send(event.target.files, false);
      event.target.value = "";
    });
  }
})();
