// After a save went through (any page that is not the editor again), forget its draft.
// The conflict page is a step of the same save: its form marks the draft pending again.
(function () {
  "use strict";
  var PENDING = "nexus-draft-pending";
  var resolving = document.querySelector("form.conflict-form");
  if (resolving) {
    resolving.addEventListener("submit", function () {
      sessionStorage.setItem(PENDING, "nexus-draft:" + resolving.dataset.draftKey);
    });
  }
  var key = sessionStorage.getItem(PENDING);
  if (!key || document.querySelector("form.edit-form, form.conflict-form")) return;
  sessionStorage.removeItem(PENDING);
  if (document.querySelector(".flash-success")) localStorage.removeItem(key);
})();
