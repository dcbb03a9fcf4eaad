// After a save went through (any page that is not the editor again), forget its draft.
(function () {
  "use strict";
  var PENDING = "nexus-draft-pending";
  var key = sessionStorage.getItem(PENDING);
  if (!key || document.querySelector("form.edit-form")) return;
  sessionStorage.removeItem(PENDING);
  if (document.querySelector(".flash-success")) localStorage.removeItem(key);
})();
