// Page behaviour shared by every screen. A static file because the Content-Security-Policy
// allows scripts only from our own origin: no inline <script>, no onclick=/onchange= attributes.
(function () {
  "use strict";

  // Sizes computed on the server travel as data attributes and are applied through the CSSOM,
  // which the CSP allows (style="..." attributes it does not): data-width="42" -> width 42%,
  // data-h="3" -> the --h custom property (a job card's height on the scheduling board).
  function applySizes(root) {
    if (!root.querySelectorAll) return;
    var nodes = Array.prototype.slice.call(root.querySelectorAll("[data-width], [data-h]"));
    if (root.matches && root.matches("[data-width], [data-h]")) nodes.push(root);
    nodes.forEach(function (el) {
      if (el.dataset.width !== undefined) el.style.width = parseFloat(el.dataset.width || "0") + "%";
      if (el.dataset.h !== undefined) el.style.setProperty("--h", parseFloat(el.dataset.h || "0"));
    });
  }

  // Keyboard-first pages: once htmx has wired up new content, put the cursor where it says autofocus.
  document.addEventListener("htmx:load", function (event) {
    applySizes(event.target);
    var target = event.target.matches && event.target.matches("[autofocus]")
      ? event.target : event.target.querySelector && event.target.querySelector("[autofocus]");
    if (target) target.focus();
  });
  // ... and on whatever any script inserts later (the scheduling board re-renders itself).
  document.addEventListener("DOMContentLoaded", function () {
    applySizes(document);
    new MutationObserver(function (mutations) {
      mutations.forEach(function (m) { m.addedNodes.forEach(function (n) { if (n.nodeType === 1) applySizes(n); }); });
    }).observe(document.body, { childList: true, subtree: true });
  });

  // <select data-autosubmit>: changing it submits its form (filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
  });
  // <button data-print>: print the page (labels, documents).
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-print]");
    if (el) window.print();
  });
})();
