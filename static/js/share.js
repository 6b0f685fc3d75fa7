// "Copy link" on share blocks: shown only where the clipboard can be written to; the
// status line says it worked (read by screen readers through role="status").
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var block = button.closest(".share");
    var status = block && block.querySelector(".share-status");
    button.parentElement.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) status.textContent = button.dataset.copied;
      });
    });
  });
})();
