/* The plain-letter editor: a contenteditable area over the form's textarea (which stays the
 * field that is sent, and the editor without JavaScript). The server sanitises what arrives. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var form = document.getElementById("richtext-form");
    if (!form) return;
    var textarea = form.elements.body;
    var toolbar = form.querySelector("[data-richtext-toolbar]");
    var area = document.createElement("div");
    area.contentEditable = "true";
    area.className = "form-control";
    area.style.minHeight = "18rem";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-labelledby", textarea.id + "-label");
    if (textarea.labels && textarea.labels[0]) textarea.labels[0].id = textarea.id + "-label";
    area.dataset.testid = "letter-editor";
    area.innerHTML = textarea.value; // the server's sanitised HTML
    textarea.hidden = true;
    textarea.parentNode.insertBefore(area, textarea);
    toolbar.hidden = false;
    var saved = area.innerHTML;
    var submitting = false;

    function sync() {
      textarea.value = area.innerHTML;
    }
    area.addEventListener("input", sync);

    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      area.focus();
      if (button.dataset.command) {
        var value = null;
        if (button.dataset.prompt) {
          value = window.prompt(button.dataset.prompt, "https://");
          if (!value) return;
        }
        document.execCommand(button.dataset.command, false, value);
      } else if (button.dataset.insert) {
        document.execCommand("insertText", false, button.dataset.insert);
      } else if (button.dataset.insertLink) {
        var link = document.createElement("a");
        link.setAttribute("href", button.dataset.insertLink);
        link.textContent = button.dataset.text;
        document.execCommand("insertHTML", false, link.outerHTML);
      }
      sync();
    });

    form.addEventListener("submit", function () {
      sync();
      submitting = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && area.innerHTML !== saved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
})();
