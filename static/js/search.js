// Live search, on top of forms that work without it:
// - the header box becomes a WAI-ARIA combobox (a listbox of top matches);
// - "/" focuses the search box of the page;
// - on /search, typing replaces the address, and the first change after a
//   pause (or after the page loads) pushes a new history entry instead, so
//   Back returns to what the reader paused on.
(function () {
  "use strict";

  var PAUSE_MS = 1500;

  function liveBox(form) {
    var input = form.querySelector("input[type=search]");
    var popup = form.querySelector(".header-search-popup");
    if (!input || !popup) return;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", popup.id);
    var active = -1;

    function options() {
      return Array.prototype.slice.call(popup.querySelectorAll("[role=option]"));
    }
    function choose(index) {
      var list = options();
      active = index;
      list.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && list[index]) {
        input.setAttribute("aria-activedescendant", list[index].id);
        list[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function close() {
      popup.hidden = true;
      input.setAttribute("aria-expanded", "false");
      choose(-1);
    }
    function open() {
      if (!options().length || !input.value.trim()) return close();
      popup.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    input.addEventListener("keydown", function (event) {
      var count = options().length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!count) return;
        event.preventDefault();
        var down = event.key === "ArrowDown";
        if (popup.hidden) {
          open();
          choose(down ? 0 : count - 1);
        } else if (down) {
          choose(active + 1 < count ? active + 1 : 0);
        } else {
          // Up from the first option goes back to the text.
          choose(active > 0 ? active - 1 : active === 0 ? -1 : count - 1);
        }
      } else if (event.key === "Enter") {
        var option = !popup.hidden && options()[active];
        if (option) {
          event.preventDefault();
          window.location.assign(option.dataset.href);
        }
      } else if (event.key === "Escape") {
        if (!popup.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("focus", open);
    input.addEventListener("blur", close);
    // A click on an option must not blur the box first (that closes the list).
    popup.addEventListener("mousedown", function (event) { event.preventDefault(); });
    popup.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) window.location.assign(option.dataset.href);
    });
    popup.addEventListener("htmx:afterSwap", function () {
      choose(-1);
      if (document.activeElement === input) open(); else close();
    });
    input.addEventListener("input", function () {
      if (!input.value.trim()) close();
    });
  }

  // "/" anywhere outside a field: go to the search box, as many sites do.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable], [contenteditable=true]")) return;
    var box = document.getElementById("search-q") || document.getElementById("header-search-q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  // The address a reader would type: no empty fields, no default order.
  function tidyAddress(path) {
    var url = new URL(path, window.location.href);
    var kept = new URLSearchParams();
    url.searchParams.forEach(function (value, key) {
      if (value !== "" && !(key === "sort" && value === "relevance")) kept.append(key, value);
    });
    var query = kept.toString();
    return url.pathname + (query ? "?" + query : "");
  }

  // /search: replace while typing, push after a pause (see the top). The
  // pause is measured between the reader's keystrokes, not between answers,
  // so a slow answer never splits one burst of typing into two entries.
  var lastKeystroke = 0;
  var pushNext = false;
  document.addEventListener("input", function (event) {
    if (event.target.id !== "search-q") return;
    var now = Date.now();
    // The form may set its own pause (data-history-pause, in ms).
    var pause = Number(event.target.form && event.target.form.dataset.historyPause) || PAUSE_MS;
    if (now - lastKeystroke > pause) pushNext = true;
    lastKeystroke = now;
  });
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var config = event.detail.requestConfig;
    if (!config || !config.elt || !config.elt.closest(".search-form")) return;
    event.detail.history.path = tidyAddress(event.detail.history.path);
    if (config.elt.id === "search-q" && pushNext) {
      event.detail.history.type = "push";
      pushNext = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-search]").forEach(liveBox);
  });
})();
