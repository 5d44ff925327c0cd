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

  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.share) return;
    document.querySelectorAll("[data-native-share]").forEach(function (button) { button.hidden = false; });
  });
})();
