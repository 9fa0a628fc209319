// Copy buttons of the domains pages: <button class="copy-btn" data-copy-target="ID"> copies the
// text of the element with that id. Falls back to selecting the text when the Clipboard API is
// unavailable (plain http other than localhost).
(function () {
  "use strict";

  function announce(button, text) {
    var status = document.getElementById("copy-status");
    if (status) status.textContent = text;
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 1500);
  }

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".copy-btn");
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    var text = target.textContent.trim();
    var copied = button.getAttribute("data-copied") || "Copied";
    var manual = button.getAttribute("data-manual") || "Press Ctrl+C to copy";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, copied); },
        function () { selectText(target); announce(button, manual); }
      );
    } else {
      selectText(target);
      announce(button, manual);
    }
  });
})();
