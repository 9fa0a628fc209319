// The campaign wizard: show the fields that belong to the choice made (sender kind, range,
// schedule, A/B test), and the unsubscribe warning when the link is switched off. Without
// JavaScript every field stays visible and the server validates the same rules.
(function () {
  "use strict";
  const form = document.querySelector("form[data-campaign-step]");
  if (!form) return;

  function value(name) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    if (checked) return checked.type === "checkbox" ? "on" : checked.value;
    const field = form.querySelector(`[name="${name}"]`);
    if (!field || field.type === "checkbox" || field.type === "radio") return "";
    return field.value;
  }

  function matches(rule) {
    const negate = rule.startsWith("!");
    const [name, expected] = (negate ? rule.slice(1) : rule).split("=");
    const current = value(name);
    const ok = expected === undefined ? current !== "" : current === expected;
    return negate ? !ok : ok;
  }

  function update() {
    form.querySelectorAll("[data-show-when]").forEach(function (block) {
      const show = matches(block.dataset.showWhen);
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.disabled = !show && !el.closest("[data-keep-enabled]");
      });
    });
  }

  form.addEventListener("change", update);
  update();
})();
