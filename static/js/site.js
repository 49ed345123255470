// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Words that only make sense with scripts running (how to use the seat map, say) are hidden
  // in the HTML and shown here.
  document.querySelectorAll(".js-only").forEach((el) => el.classList.remove("d-none"));
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
  // Hold countdown: the page says how long the seats stay held; this keeps the figure live
  // and, at zero, says the hold is over and stops the form from being sent.
  const timer = document.querySelector("[data-hold-seconds]");
  if (timer) {
    const deadline = Date.now() + Number(timer.dataset.holdSeconds) * 1000;
    const left = timer.querySelector(".hold-left");
    let warned = false;
    const tick = () => {
      const seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      left.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")} minutes`;
      if (seconds <= 60 && !warned) {
        warned = true;
        timer.setAttribute("aria-live", "polite");
      }
      if (seconds === 0) {
        clearInterval(interval);
        timer.classList.add("expired");
        timer.textContent = timer.dataset.expiredText;
        document.querySelectorAll("main form button[type=submit]").forEach((b) => { b.disabled = true; });
      }
    };
    const interval = setInterval(tick, 1000);
    tick();
  }
});
