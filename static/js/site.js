// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  function announce(group, message) {
    var status = group.querySelector(".share-status");
    if (status) status.textContent = message;
  }

  document.addEventListener("click", function (event) {
    var copyButton = event.target.closest("[data-copy-url]");
    if (copyButton) {
      var group = copyButton.closest(".share");
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(copyButton.dataset.copyUrl).then(
          function () { announce(group, "Link copied."); },
          function () { announce(group, "Could not copy; the link is " + copyButton.dataset.copyUrl); }
        );
      } else {
        announce(group, "Copy this link: " + copyButton.dataset.copyUrl);
      }
      return;
    }
    var shareButton = event.target.closest("[data-native-share]");
    if (shareButton && navigator.share) {
      navigator.share({ title: shareButton.dataset.shareTitle, url: shareButton.dataset.shareUrl }).catch(function () {});
    }
  });

  // "Copy link" is shown by CSS when scripting is on (no layout shift);
  // "Share..." only where the browser has a share sheet.
  document.addEventListener("DOMContentLoaded", function () {
    if (navigator.share) {
      document.querySelectorAll("[data-native-share]").forEach(function (button) { button.hidden = false; });
    }
    relatedPanelNear();
    categoryStrip();
  });

  // The Related Articles panel is asked for when it comes within a screen
  // of the viewport, so the picks are in place before the reader gets
  // there and nothing in it reads as a wait. htmx's "revealed" and
  // "intersect" fire only once the panel is on screen (intersect takes no
  // rootMargin), hence our own observer; the callback runs after htmx has
  // set up the panel's triggers.
  function relatedPanelNear() {
    var panel = document.getElementById("related-panel");
    if (!panel || !window.htmx) return;
    function load() { window.htmx.trigger(panel, "related-near"); }
    if (!("IntersectionObserver" in window)) { load(); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        observer.disconnect();
        load();
      }
    }, { rootMargin: "0px 0px 100% 0px" });
    observer.observe(panel);
  }

  // On a phone the categories scroll sideways in one row. The current one
  // is brought into view with its first letter at the left edge (never the
  // tail of its neighbour, which reads as a cut-off name), and the arrows
  // at either end (CSS, from data-scrolled / data-at-end) say there is more.
  function categoryStrip() {
    var nav = document.querySelector(".category-nav");
    var row = nav && nav.querySelector("ul");
    if (!row) return;
    function update() {
      nav.toggleAttribute("data-scrolled", row.scrollLeft > 2);
      var last = row.lastElementChild;
      nav.toggleAttribute("data-at-end", !last || last.getBoundingClientRect().right <= row.getBoundingClientRect().right + 1);
    }
    var current = row.querySelector("[aria-current='page']");
    if (current && row.scrollWidth > row.clientWidth) {
      // Scroll to the first item start from which the current item shows
      // whole, so the strip begins with a whole name.
      var items = Array.prototype.slice.call(row.querySelectorAll("li"));
      var origin = row.getBoundingClientRect().left - row.scrollLeft;
      var end = current.closest("li").getBoundingClientRect().right - origin;
      var visible = row.clientWidth - 2;
      for (var i = 0; i < items.length; i++) {
        var start = items[i].getBoundingClientRect().left - origin;
        if (start + visible >= end) {
          // The last names may need room after them to scroll that far.
          if (start > row.scrollWidth - row.clientWidth) nav.setAttribute("data-room", "");
          row.scrollLeft = start;
          break;
        }
      }
    }
    update();
    row.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update, { passive: true });
  }

  // The Related Articles panel: "Finding..." while a retry the reader asked
  // for is on its way, and when the request fails (server error, network, timeout) a message and a retry
  // button; the link to the related page stays in every state.
  function relatedPanelState(state) {
    var panel = document.getElementById("related-panel");
    if (!panel) return;
    var loading = panel.querySelector(".related-loading");
    var failed = panel.querySelector(".related-failed");
    if (loading) loading.hidden = state !== "loading";
    if (failed) failed.hidden = state !== "failed";
  }

  // A post the site could not take now (503 with Retry-After, see
  // http/unavailable.py) answers with a fragment that says to send it again:
  // swap it in place of the form. A 503 to a GET stays an error (below).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status === 503 && detail.requestConfig && detail.requestConfig.verb !== "get") {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target && event.target.id === "related-panel") {
        relatedPanelState("failed");
        var status = document.getElementById("related-status");
        if (status) status.textContent = "The related articles did not load.";
      }
    });
  });

  document.addEventListener("click", function (event) {
    var retry = event.target.closest(".related-retry");
    if (!retry || !window.htmx) return;
    relatedPanelState("loading");
    var panel = document.getElementById("related-panel");
    // The button hides itself: keep the keyboard where the reader was.
    panel.setAttribute("tabindex", "-1");
    panel.focus();
    window.htmx.trigger(panel, "related-retry");
  });
})();
