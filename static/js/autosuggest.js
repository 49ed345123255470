// Airport autosuggest for From/To: the ARIA 1.2 combobox pattern (input + listbox).
// Progressive enhancement: without this script the fields accept a code or a city as typed.
(() => {
  const form = document.querySelector("form[data-suggest-url]");
  if (!form) return;
  const url = form.dataset.suggestUrl;
  const originInput = document.getElementById("id_origin");

  function setUp(input) {
    const list = document.getElementById(`${input.id}-suggestions`);
    if (!list) return;
    let options = [];
    let active = -1;
    let timer = null;
    let lastQuery = "";

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.classList.add("d-none");
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => {
        item.classList.toggle("active", i === index);
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      if (index < 0 || index >= options.length) return;
      input.value = options[index].value;
      close();
    }

    function render(results) {
      options = results;
      list.replaceChildren();
      results.forEach((result, i) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${i}`;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const label = document.createElement("div");
        label.className = result.kind === "city" ? "fw-semibold" : "";
        label.textContent = result.label;
        const detail = document.createElement("div");
        detail.className = "small text-muted";
        detail.textContent = result.detail;
        item.append(label, detail);
        // mousedown, not click: it runs before the input's blur closes the list.
        item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
        list.append(item);
      });
      if (results.length) {
        list.classList.remove("d-none");
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      active = -1;
    }

    async function fetchSuggestions() {
      const query = input.value.trim();
      if (query.length < 2) { close(); return; }
      // For To, what From holds: the places flown to from there come first.
      const origin = input !== originInput && originInput ? originInput.value.trim() : "";
      const params = new URLSearchParams({ q: query });
      if (origin) params.set("origin", origin);
      if (params.toString() === lastQuery && options.length) { render(options); return; }
      lastQuery = params.toString();
      try {
        const response = await fetch(`${url}?${params}`, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        if (input.value.trim() === query) render(data.results);
      } catch (error) {
        close(); // the field still works as a plain text box
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.classList.contains("d-none");
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { fetchSuggestions(); return; }
        highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }

  ["id_origin", "id_destination"].forEach((id) => {
    const input = document.getElementById(id);
    if (input) setUp(input);
  });
})();
