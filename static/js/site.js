// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A select marked data-autosubmit submits its form on change; its "Update" button is hidden.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    const form = select.form;
    form.querySelectorAll(".js-hide").forEach((el) => el.classList.add("d-none"));
    select.addEventListener("change", () => form.submit());
  });
  // Prevent a second click while a booking is being made (the server is idempotent anyway).
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
});
