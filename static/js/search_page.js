// The search page, improved: everything here works without it.
// - The form above the results is a <details> that static/css/search.css shows open on wide
//   screens; a browser without ::details-content cannot, so it is opened here.
// - The date strip scrolls sideways on a phone: the chosen day is brought into view.
(() => {
  const edit = document.querySelector("[data-search-edit]");
  const wide = window.matchMedia("(min-width: 768px)");
  if (edit && wide.matches && !CSS.supports("selector(::details-content)")) edit.open = true;

  const strip = document.querySelector("[data-date-strip]");
  const current = strip && strip.querySelector("[aria-current=page]");
  if (current && strip.scrollWidth > strip.clientWidth) {
    const day = current.closest("li") || current;
    const offset = day.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollLeft += offset - (strip.clientWidth - day.offsetWidth) / 2;
  }
})();
