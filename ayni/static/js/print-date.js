// Fills the printed "as of" date of a guide when the page is printed (the HTML may come from the page cache).
(function () {
  "use strict";
  function stamp() {
    var lang = document.documentElement.lang || "es-BO";
    var text = new Date().toLocaleDateString(lang, { year: "numeric", month: "2-digit", day: "2-digit" });
    document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = text; });
  }
  window.addEventListener("beforeprint", stamp);
  stamp();
})();
