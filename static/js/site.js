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
    relatedPanelState("loading");
    // On a phone the categories scroll sideways: bring the current one into view.
    var current = document.querySelector(".category-nav [aria-current='page']");
    if (current) {
      var row = current.closest("ul");
      if (row.scrollWidth > row.clientWidth) row.scrollLeft = current.offsetLeft - row.offsetLeft - 16;
    }
  });

  // The Related Articles panel: "Finding..." while htmx asks, and when the
  // request fails (server error, network, timeout) a message and a retry
  // button; the link to the related page stays in every state.
  function relatedPanelState(state) {
    var panel = document.getElementById("related-panel");
    if (!panel) return;
    var loading = panel.querySelector(".related-loading");
    var failed = panel.querySelector(".related-failed");
    if (loading) loading.hidden = state !== "loading";
    if (failed) failed.hidden = state !== "failed";
  }

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
