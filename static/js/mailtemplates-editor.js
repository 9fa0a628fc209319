/* The template editor: CodeMirror on the HTML body, the live preview (posted into the sandboxed
 * iframe, never injected into this page), the merge-tag picker, extra A/B subjects, and file
 * checks before upload. Without JavaScript the form still works: plain textareas, full-page
 * actions. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var form = document.getElementById("template-form");
    if (!form) return;
    var html = form.querySelector("textarea[name=html]");
    var draftForm = document.getElementById("draft-preview-form");
    var frame = document.getElementById("draft-preview");
    var cm = null;
    var timer = null;

    function changed() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    }

    function refresh() {
      if (draftForm && html) {
        draftForm.elements.html.value = html.value;
        draftForm.submit();
      }
      // htmx re-runs the lint panel on this event.
      document.body.dispatchEvent(new CustomEvent("mailtemplates:changed"));
    }

    if (html && window.CodeMirror) {
      cm = window.CodeMirror.fromTextArea(html, {
        mode: "htmlmixed",
        lineNumbers: true,
        lineWrapping: true,
        autoCloseTags: true,
        viewportMargin: 50,
        // CodeMirror types into its own hidden textarea: give it the field's label.
        screenReaderLabel: html.labels && html.labels[0] ? html.labels[0].textContent.trim() : "",
        // Tab leaves the editor as it leaves any field (no keyboard trap); Ctrl-] / Ctrl-[
        // indent instead.
        extraKeys: { Tab: false, "Shift-Tab": false },
      });
      cm.setSize(null, "32rem");
      if (html.labels && html.labels[0]) {
        html.labels[0].addEventListener("click", function () { cm.focus(); });
      }
      // Keep the textarea current, so the form, htmx requests and the preview read it.
      cm.on("change", function () {
        cm.save();
        changed();
      });
    } else if (html) {
      html.addEventListener("input", changed);
    }
    form.addEventListener("input", function (event) {
      if (event.target !== html) changed();
    });
    // "Generate from HTML" fills the plain text through htmx, which fires no input event: the
    // lint panel would keep warning that there is none.
    form.addEventListener("htmx:afterRequest", function (event) {
      var elt = event.detail.elt;
      if (event.detail.successful && elt && elt.getAttribute("hx-target") === "#text-field") {
        changed();
      }
    });

    // -- merge-tag picker: insert where the marketer was last typing --------------------------
    var lastField = null;
    form.addEventListener("focusin", function (event) {
      var t = event.target;
      if (t.matches("input[name=subjects], textarea[name=text]")) lastField = t;
      else if (t === html) lastField = null;
    });
    if (cm) {
      cm.on("focus", function () {
        lastField = null;
      });
    }
    // Delegated: htmx replaces the picker when another contact list is chosen.
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-merge-tag]");
      if (!button) return;
      var tag = button.getAttribute("data-merge-tag");
      if (lastField && document.body.contains(lastField)) {
        var start = lastField.selectionStart || 0;
        var end = lastField.selectionEnd || 0;
        lastField.setRangeText(tag, start, end, "end");
        lastField.focus();
        changed();
      } else if (cm) {
        cm.replaceSelection(tag);
        cm.focus();
      } else if (html) {
        html.setRangeText(tag, html.selectionStart || 0, html.selectionEnd || 0, "end");
        html.focus();
        changed();
      }
    });

    // -- another A/B subject ------------------------------------------------------------------
    var rows = document.getElementById("subject-rows");
    if (rows) {
      var add = document.createElement("button");
      add.type = "button";
      add.className = "btn btn-sm btn-outline-secondary";
      add.textContent = rows.getAttribute("data-add-label") || "+";
      add.setAttribute("data-testid", "add-subject");
      add.addEventListener("click", function () {
        var all = rows.querySelectorAll(".subject-row");
        var last = all[all.length - 1];
        var copy = last.cloneNode(true);
        var n = all.length + 1;
        var input = copy.querySelector("input");
        var label = copy.querySelector("label");
        input.value = "";
        input.id = "subject-added-" + n;
        label.setAttribute("for", input.id);
        rows.appendChild(copy);
        input.focus();
      });
      rows.parentNode.appendChild(add);
    }

    // -- preview width ------------------------------------------------------------------------
    document.querySelectorAll("[data-preview-width]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (frame) frame.style.width = button.getAttribute("data-preview-width");
        document.querySelectorAll("[data-preview-width]").forEach(function (other) {
          var on = other === button;
          other.classList.toggle("active", on);
          other.setAttribute("aria-pressed", on ? "true" : "false");
        });
      });
    });

    // -- files: refuse too many or too large before uploading anything -------------------------
    document.querySelectorAll("input[type=file][data-max-file-bytes]").forEach(function (input) {
      input.addEventListener("change", function () {
        var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
        var maxBytes = parseInt(input.getAttribute("data-max-file-bytes"), 10);
        var feedback = input.parentNode.querySelector("[data-file-feedback]");
        var problems = [];
        if (input.files.length > maxFiles) problems.push(input.files.length + " > " + maxFiles);
        Array.prototype.forEach.call(input.files, function (f) {
          if (f.size > maxBytes) problems.push(f.name + " (" + Math.ceil(f.size / 1048576) + " MB)");
        });
        if (feedback) {
          var label = feedback.getAttribute("data-label") || "";
          feedback.textContent = problems.length ? label + " " + problems.join(", ") : "";
        }
        if (problems.length) input.value = "";
      });
    });

    refresh();
  });
})();
