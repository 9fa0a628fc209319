// Toasts of the layout (templates/partials/toasts.html) and field help popovers.
//
// * #toasts polls accounts:notifications with htmx; each swap appends .toast elements, shown here.
// * An htmx response may carry messages in an `HX-Trigger: {"edmportal:toasts": [{level, text}]}`
//   header (apps.core.middleware.HtmxMessagesMiddleware); they become toasts too. Texts arrive
//   already translated and are inserted as text, never as HTML.
// * [data-bs-toggle="popover"] (the {% term %} help marks) get Bootstrap popovers.
(function () {
  "use strict";

  var LEVELS = { error: "danger", success: "success", warning: "warning", info: "primary", debug: "secondary" };

  function show(toast) {
    if (toast.getAttribute("data-shown") || !window.bootstrap) return;
    toast.setAttribute("data-shown", "1");
    toast.addEventListener("hidden.bs.toast", function () { toast.remove(); });
    window.bootstrap.Toast.getOrCreateInstance(toast).show();
  }

  function showAll(root) {
    (root || document).querySelectorAll("#toasts .toast").forEach(show);
  }

  function build(level, text) {
    var container = document.getElementById("toasts");
    if (!container) return;
    var toast = document.createElement("div");
    toast.className = "toast align-items-center border-0 text-bg-" + (LEVELS[level] || "primary");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.setAttribute("aria-atomic", "true");
    toast.setAttribute("data-testid", "toast");
    toast.setAttribute("data-level", level);
    if (level === "error") toast.setAttribute("data-bs-autohide", "false");
    var row = document.createElement("div");
    row.className = "d-flex";
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", container.getAttribute("data-close-label") || "Close");
    row.appendChild(body);
    row.appendChild(close);
    toast.appendChild(row);
    container.appendChild(toast);
    show(toast);
  }

  function popovers(root) {
    if (!window.bootstrap) return;
    (root || document).querySelectorAll('[data-bs-toggle="popover"]').forEach(function (el) {
      window.bootstrap.Popover.getOrCreateInstance(el);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showAll();
    popovers();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    showAll();
    popovers(event.target);
  });
  document.addEventListener("edmportal:toasts", function (event) {
    var items = event.detail && event.detail.value;
    if (!Array.isArray(items)) return;
    items.forEach(function (item) { build(item.level || "info", item.text || ""); });
  });
})();
