// Forms with errors: move the focus to the error summary ("Hay un problema") when the page loads,
// so screen readers announce it and keyboard users start from it (GOV.UK error summary pattern).
// A link in the summary focuses its field (and, for a field in a group, scrolls its label into view).
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    var group = input.closest(".form-group");
    var heading = group ? group.querySelector("legend, label") : null;
    (heading || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
