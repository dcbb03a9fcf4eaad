// Light or dark, as this reader chose (the toggle in reading.js remembers it in localStorage);
// without a choice the colours follow the system (prefers-color-scheme, nexus.css).
// Loaded in <head>, not deferred, so the page never flashes the other theme first.
(function () {
  "use strict";
  try {
    var choice = localStorage.getItem("nexus-theme");
    if (choice === "light" || choice === "dark") document.documentElement.dataset.theme = choice;
  } catch (e) { /* storage disabled: follow the system */ }
})();
