/* Switching editors never loses work silently: links marked data-leave-check ask first when the
 * page's form has changes that are not saved (the code editor signals its changes with the
 * "mailtemplates:changed" event). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("template-form");
    if (!form) return;
    var dirty = false;
    var message = form.dataset.unsaved || "";
    // CodeMirror (set up by mailtemplates-editor.js just before) knows its own changes at once.
    var holder = document.querySelector(".CodeMirror");
    var cm = holder && holder.CodeMirror;
    var clean = cm ? cm.changeGeneration() : null;
    form.addEventListener("input", function () { dirty = true; });
    document.body.addEventListener("mailtemplates:changed", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    document.querySelectorAll("[data-leave-check]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var changed = dirty || (cm && !cm.isClean(clean));
        if (changed && !window.confirm(message)) event.preventDefault();
      });
    });
  });
})();
