// The conflict page, enhanced: each overlapping change shows what it will read once chosen,
// a status counts the choices left, a choice scrolls to the next open one, and leaving with
// choices made but not saved asks first. Without JavaScript the form works the same.
(function () {
  "use strict";
  var form = document.querySelector("form.conflict-form");
  if (!form) return;
  var hunks = Array.prototype.slice.call(form.querySelectorAll(".conflict-hunk"));
  var status = form.querySelector(".conflict-progress");
  var touched = false, submitting = false;

  function lines(hunk, side) {
    var pre = hunk.querySelector(".hunk-" + side + " pre");
    return pre ? pre.textContent.split("\n") : [];
  }
  function both(first, second) {
    // Lines the two versions share at their start and end are written once (as the server does).
    var p = 0, s = 0;
    while (p < first.length && p < second.length && first[p] === second[p]) p++;
    while (s < first.length - p && s < second.length - p &&
           first[first.length - 1 - s] === second[second.length - 1 - s]) s++;
    return first.slice(0, first.length - s).concat(second.slice(p, second.length - s), first.slice(first.length - s));
  }
  function result(hunk, choice) {
    var mine = lines(hunk, "mine"), theirs = lines(hunk, "theirs");
    if (choice === "mine") return mine;
    if (choice === "theirs") return theirs;
    return choice === "mine-first" ? both(mine, theirs) : both(theirs, mine);
  }
  function chosen(hunk) {
    var input = hunk.querySelector("input[type=radio]:checked");
    return input ? input.value : null;
  }
  function update() {
    var open = hunks.filter(function (hunk) { return !chosen(hunk); });
    hunks.forEach(function (hunk) {
      var box = hunk.querySelector(".hunk-result"), choice = chosen(hunk);
      if (!box) return;
      box.hidden = !choice;
      if (choice) {
        var text = result(hunk, choice);
        box.querySelector("pre").textContent = text.length ? text.join("\n") : "(nothing: these lines are removed)";
      }
    });
    status.hidden = false;
    status.textContent = open.length
      ? open.length + " of " + hunks.length + " overlapping change" + (hunks.length === 1 ? "" : "s") + " still to choose."
      : "Every overlapping change has a choice: review, then save.";
    return open;
  }
  form.addEventListener("change", function (event) {
    if (event.target.type !== "radio") return;
    touched = true;
    var open = update();
    var hunk = event.target.closest(".conflict-hunk");
    var next = open.filter(function (h) { return hunks.indexOf(h) > hunks.indexOf(hunk); })[0] || open[0];
    if (next) next.scrollIntoView({ behavior: "smooth", block: "center" });
  });
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !touched) return;
    event.preventDefault();
    event.returnValue = "";
  });
  update();
})();
