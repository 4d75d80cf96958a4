/* Header search box: an ARIA 1.2 combobox with title suggestions.
 *
 * Progressive enhancement: without JavaScript the box is a plain search form
 * that submits to /buscar/. With it, typing two or more letters asks
 * GET /api/search/suggest/?q= and lists up to 8 titles in a listbox:
 * Down/Up move through them (aria-activedescendant), Enter opens the chosen
 * one (or submits the search when none is chosen), Escape closes the list
 * (and clears the box when it is already closed), and a polite live region
 * says how many suggestions there are.
 */
(function () {
  "use strict";

  var DELAY_MS = 150;

  function enhance(input) {
    var listbox = document.getElementById(input.dataset.listbox);
    var status = document.getElementById(input.dataset.status);
    if (!listbox || !status || !window.fetch) {
      return;
    }
    var hint = document.createElement("span");
    hint.id = input.id + "-hint";
    hint.className = "visually-hidden";
    hint.textContent = input.dataset.hint || "";
    input.parentNode.appendChild(hint);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-describedby", hint.id);
    input.setAttribute("autocomplete", "off");

    var options = [];
    var active = -1;
    var timer = null;
    var controller = null;

    function announce(count) {
      var text;
      if (count === 0) {
        text = input.dataset.msgNone;
      } else if (count === 1) {
        text = input.dataset.msgOne;
      } else {
        text = (input.dataset.msgMany || "").replace("%(count)s", String(count));
      }
      status.textContent = text || "";
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function select(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open(url) {
      window.location.assign(url);
    }

    function render(suggestions) {
      listbox.textContent = "";
      options = suggestions.map(function (suggestion, i) {
        var option = document.createElement("li");
        option.id = listbox.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = suggestion.url;
        var title = document.createElement("span");
        title.textContent = suggestion.title;
        var kind = document.createElement("span");
        kind.className = "combobox-type";
        kind.textContent = suggestion.type_label;
        option.appendChild(title);
        option.appendChild(document.createTextNode(" "));
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the box
        });
        option.addEventListener("click", function () {
          open(suggestion.url);
        });
        listbox.appendChild(option);
        return option;
      });
      active = -1;
      listbox.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      input.removeAttribute("aria-activedescendant");
      announce(options.length);
    }

    function fetchSuggestions() {
      var value = input.value.trim();
      if (value.length < 2) {
        render([]);
        status.textContent = "";
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(value);
      window
        .fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value.trim() === value) {
            render(data.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the form still submits to /buscar/ */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!expanded) {
          fetchSuggestions();
          return;
        }
        select(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (expanded) {
          event.preventDefault();
          select(active > 0 ? active - 1 : options.length - 1);
        }
      } else if (event.key === "Enter") {
        if (expanded && active >= 0) {
          event.preventDefault();
          open(options[active].dataset.url);
        }
      } else if (event.key === "Escape") {
        if (expanded) {
          event.preventDefault();
          close();
        } else if (input.value) {
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });
  }

  function init() {
    document.querySelectorAll("input[data-suggest-url]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
