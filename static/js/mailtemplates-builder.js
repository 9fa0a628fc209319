/* The visual builder: GrapesJS (static/vendor/grapesjs-*) with e-mail blocks, merge tags named
 * after the chosen list, saved blocks and the unsubscribe block (the platform's subs_link).
 * Data comes from the page's json_script #builder-data; on submit the builder's body HTML, CSS
 * and its project (restored exactly on reopening) go into hidden fields; the server inlines the
 * CSS and sanitises the HTML. No inline scripts, no eval of our own. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var PLACEHOLDER_IMAGE =
    "data:image/svg+xml;charset=utf-8,%3Csvg xmlns='http://www.w3.org/2000/svg' width='600' " +
    "height='240'%3E%3Crect width='600' height='240' fill='%23d1d5db'/%3E%3C/svg%3E";

  function blocks(data) {
    var L = data.labels;
    var list = [
      {
        id: "text",
        label: L.text,
        category: L.categoryContent,
        content: '<div class="pad"><p>' + escapeHtml(L.textBody) + "</p></div>",
      },
      {
        id: "image",
        label: L.image,
        category: L.categoryContent,
        content:
          '<img src="' + PLACEHOLDER_IMAGE + '" alt="" width="600" ' +
          'style="display:block;width:100%;height:auto">',
      },
      {
        id: "button",
        label: L.button,
        category: L.categoryContent,
        content:
          '<div class="pad" style="text-align:center"><a class="btn" href="https://example.com/" ' +
          'style="background-color:#2563eb">' + escapeHtml(L.buttonText) + "</a></div>",
      },
      {
        id: "columns",
        label: L.columns,
        category: L.categoryLayout,
        content:
          '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>' +
          '<td class="col" width="50%" valign="top" style="padding:8px 24px"><p>' +
          escapeHtml(L.column) + "</p></td>" +
          '<td class="col" width="50%" valign="top" style="padding:8px 24px"><p>' +
          escapeHtml(L.column) + "</p></td></tr></table>",
      },
      {
        id: "divider",
        label: L.divider,
        category: L.categoryLayout,
        content: '<hr style="border:none;border-top:1px solid #e5e7eb;margin:8px 24px">',
      },
      {
        id: "social",
        label: L.social,
        category: L.categoryContent,
        content:
          '<div class="pad" style="text-align:center">' +
          ["WeChat", "Weibo", "LinkedIn"].map(function (name) {
            return '<a href="https://example.com/" style="display:inline-block;margin:0 6px;' +
              'padding:6px 12px;border-radius:16px;background-color:#e5e7eb;color:#1f2937;' +
              'text-decoration:none;font-size:13px">' + name + "</a>";
          }).join("") + "</div>",
      },
      {
        id: "unsubscribe",
        label: L.unsubscribe,
        category: L.categoryContent,
        content:
          '<div class="pad muted" style="text-align:center" data-unsubscribe>' +
          escapeHtml(L.unsubscribeText) + ' <a href="' + data.unsubscribeTag +
          '" style="color:#6b7280">' + escapeHtml(L.unsubscribeLink) + "</a></div>",
      },
    ];
    data.mergeFields.forEach(function (field) {
      list.push({
        id: "merge-" + field.tag,
        label: field.label,
        category: L.categoryMerge,
        content: { type: "text", tagName: "span", content: field.tag },
      });
    });
    data.savedBlocks.forEach(function (saved) {
      list.push({
        id: "saved-" + saved.id,
        label: saved.name,
        category: L.categorySaved,
        content: saved.html,
      });
    });
    return list;
  }

  // GrapesJS's own fields (style manager, traits, device menu, colour picker) carry no label:
  // name each after its property, so screen readers (and the accessibility check) can tell them
  // apart. Runs again whenever GrapesJS adds fields.
  function labelFields(labels) {
    document.querySelectorAll(
      "#gjs input, #gjs select, #gjs textarea, .sp-container input"
    ).forEach(function (field) {
      if ((field.labels && field.labels.length) || field.getAttribute("aria-label")) return;
      var text = "";
      var property = field.closest(".gjs-sm-property");
      var trait = field.closest(".gjs-trt-trait");
      var name = property
        ? property.querySelector(".gjs-sm-label")
        : trait && trait.querySelector(".gjs-label");
      if (name) text = name.textContent.trim();
      if (field.classList.contains("gjs-input-unit")) text = (text + " " + labels.unit).trim();
      if (field.classList.contains("gjs-devices")) text = labels.device;
      if (field.classList.contains("sp-input")) text = labels.colour;
      field.setAttribute("aria-label", text || field.placeholder || labels.value);
    });
  }

  ready(function () {
    var form = document.getElementById("builder-form");
    var source = document.getElementById("builder-data");
    if (!form || !source || !window.grapesjs) return;
    var data = JSON.parse(source.textContent);
    var config = {
      container: "#gjs",
      height: "75vh",
      width: "auto",
      fromElement: false,
      storageManager: false,
      // No CDN: GrapesJS would fetch Font Awesome from cdnjs; its own icons are inline SVG.
      cssIcons: "",
      // GrapesJS's parser drops scripts and on* attributes as well (the server does too).
      parser: { optionsHtml: { allowScripts: false, allowUnsafeAttr: false } },
      deviceManager: {
        devices: [
          { id: "desktop", name: data.labels.desktop, width: "" },
          { id: "phone", name: data.labels.phone, width: "375px", widthMedia: "480px" },
        ],
      },
      blockManager: { blocks: blocks(data) },
      i18n: {
        locale: data.language,
        detectLocale: false,
        messages: window.grapesjsLocaleZh ? { zh: window.grapesjsLocaleZh } : {},
      },
    };
    if (data.project) {
      config.projectData = data.project;
    } else {
      config.components = data.html;
      config.style = data.css;
    }
    var editor = window.grapesjs.init(config);
    window.edmBuilder = editor; // for the browser journeys and the console
    var saving = false;

    editor.on("load", function () {
      // The default panel buttons carry Font Awesome classes (not loaded: no CDN); name them.
      editor.Panels.getPanels().forEach(function (panel) {
        (panel.get("buttons") || []).forEach(function (button) {
          var label = data.labels.buttons[button.id];
          if (label) {
            button.set("className", "edm-gjs-button");
            button.set("label", label);
            button.set("attributes", { title: label, "aria-label": label });
          }
        });
      });
      // Show the blocks at once: that is what a marketer starts with.
      var open = editor.Panels.getButton("views", "open-blocks");
      if (open) open.set("active", true);
      editor.UndoManager.clear();
      labelFields(data.labels);
      new MutationObserver(function () {
        labelFields(data.labels);
      }).observe(document.body, { childList: true, subtree: true });
      form.dataset.ready = "1";
    });

    form.addEventListener("submit", function () {
      saving = true;
      form.elements.html.value = editor.getHtml();
      form.elements.css.value = editor.getCss();
      form.elements.project.value = JSON.stringify(editor.getProjectData());
    });

    function dirty() {
      return !saving && editor.getDirtyCount() > 0;
    }

    window.addEventListener("beforeunload", function (event) {
      if (dirty()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    document.querySelectorAll("[data-leave-check]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (dirty() && !window.confirm(data.labels.unsaved)) event.preventDefault();
        else saving = true;
      });
    });

    var listSwitch = document.querySelector("[data-list-switch]");
    if (listSwitch) {
      listSwitch.addEventListener("change", function () {
        if (dirty() && !window.confirm(data.labels.unsaved)) return;
        saving = true;
        var url = new URL(window.location.href);
        if (listSwitch.value) url.searchParams.set("list", listSwitch.value);
        else url.searchParams.delete("list");
        window.location.assign(url.toString());
      });
    }
  });
})();
