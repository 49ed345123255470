// The flight page's seat map (templates/bookings/_seat_map.html) as one composite widget, the
// WAI-ARIA grid pattern: a single Tab stop (roving tabindex), arrow keys between seats (Up and
// Down across rows, Left and Right along a row and over the aisle), Home and End to the ends of
// a row (with Ctrl, of the cabin), Page Up and Page Down five rows at a time, and Space or Enter
// to choose a seat or free it again. A click does the same.
//
// The passengers' seat selects in the booking form stay the source of truth: the map only
// writes to them, so the page works without this file, and the server checks every seat.
document.addEventListener("DOMContentLoaded", () => {
  const map = document.querySelector("[data-seat-map]");
  const form = document.getElementById("seat-form");
  if (!map || !form) return;
  const selects = Array.from(form.querySelectorAll("select[name^=seat_]"));
  if (!selects.length) return;
  const status = document.getElementById("seat-map-status");
  const summary = form.querySelector("[data-seat-summary]");
  const rows = Array.from(map.querySelectorAll("[role=row]"))
    .map((row) => Array.from(row.querySelectorAll(".seat")))
    .filter((seats) => seats.length);
  const cells = rows.flat();
  const position = new Map();
  rows.forEach((seats, r) => seats.forEach((cell, c) => position.set(cell, [r, c])));

  const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;
  const passengerOf = (select) => selects.indexOf(select) + 1;
  const isTaken = (cell) => cell.classList.contains("taken");
  const say = (text) => { status.textContent = text; };

  // Draw every seat as the selects have it: chosen seats show their passenger's number.
  const sync = () => {
    const owners = new Map(selects.filter((s) => s.value).map((s) => [s.value, passengerOf(s)]));
    cells.forEach((cell) => {
      if (isTaken(cell)) return;
      const seat = cell.dataset.seat;
      const passenger = owners.get(seat);
      cell.classList.toggle("selected", Boolean(passenger));
      cell.setAttribute("aria-selected", passenger ? "true" : "false");
      const state = passenger ? `selected for passenger ${passenger}` : "free";
      cell.setAttribute("aria-label", `Seat ${seat}, ${cell.dataset.kind}, ${state}`);
      cell.textContent = passenger ? String(passenger) : seat.replace(/^\d+/, "");
    });
    if (summary) {
      const chosen = selects.map((s) => s.value).filter(Boolean);
      const open = selects.length - chosen.length;
      if (!chosen.length) {
        summary.textContent = selects.length === 1 ? "We choose your seat" : "We seat your party together";
      } else {
        const words = `${chosen.length === 1 ? "Seat" : "Seats"} ${chosen.join(", ")}`;
        summary.textContent = open ? `${words}; we choose ${plural(open, "more seat", "more seats")}` : words;
      }
    }
  };

  const nextStep = () => {
    const open = selects.find((s) => !s.value);
    return open ? `Choose a seat for passenger ${passengerOf(open)} next.` : "Every passenger has a seat.";
  };

  // A free seat goes to the first passenger without one (or, when all have one, moves the last
  // passenger's seat); a chosen seat is given up again.
  const toggle = (cell) => {
    const seat = cell.dataset.seat;
    if (isTaken(cell)) {
      say(`Seat ${seat} is taken. Choose a free seat.`);
      return;
    }
    const holder = selects.find((s) => s.value === seat);
    if (holder) {
      holder.value = "";
      sync();
      say(`Seat ${seat} is free again; passenger ${passengerOf(holder)} has no seat chosen. ${nextStep()}`);
      return;
    }
    const target = selects.find((s) => !s.value) || selects[selects.length - 1];
    if (!Array.from(target.options).some((o) => o.value === seat)) {
      say(`Seat ${seat} cannot be chosen.`);
      return;
    }
    const replaced = target.value;
    target.value = seat;
    sync();
    const instead = replaced ? ` instead of seat ${replaced}` : "";
    say(`Seat ${seat} is chosen for passenger ${passengerOf(target)}${instead}. ${nextStep()}`);
  };

  // Roving tabindex: one seat is in the Tab order, the one last moved to (first: a chosen seat,
  // else the first free one).
  let current = cells.find((c) => c.classList.contains("selected")) || cells.find((c) => !isTaken(c)) || cells[0];
  cells.forEach((cell) => { cell.tabIndex = cell === current ? 0 : -1; });
  const moveTo = (cell, focus = true) => {
    if (!cell) return;
    current.tabIndex = -1;
    cell.tabIndex = 0;
    current = cell;
    if (!focus) return;
    // Straight to the seat, as a spreadsheet does: a smooth scroll would lag behind a held key.
    cell.focus({ preventScroll: true });
    cell.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "instant" });
  };
  const at = (r, c) => (rows[r] ? rows[r][Math.min(c, rows[r].length - 1)] : null);

  map.addEventListener("keydown", (event) => {
    const cell = event.target.closest(".seat");
    if (!cell || event.altKey || event.metaKey) return;
    const [r, c] = position.get(cell);
    const last = rows.length - 1;
    const moves = {
      ArrowRight: () => rows[r][c + 1],
      ArrowLeft: () => rows[r][c - 1],
      ArrowDown: () => at(r + 1, c),
      ArrowUp: () => at(r - 1, c),
      PageDown: () => at(Math.min(r + 5, last), c),
      PageUp: () => at(Math.max(r - 5, 0), c),
      Home: () => (event.ctrlKey ? cells[0] : rows[r][0]),
      End: () => (event.ctrlKey ? cells[cells.length - 1] : rows[r][rows[r].length - 1]),
    };
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      toggle(cell);
    } else if (moves[event.key]) {
      event.preventDefault();
      moveTo(moves[event.key]());
    }
  });
  map.addEventListener("click", (event) => {
    const cell = event.target.closest(".seat");
    if (!cell) return;
    moveTo(cell, false);
    toggle(cell);
  });
  selects.forEach((s) => s.addEventListener("change", sync));

  // Changing the number of passengers reloads the page: take the seats chosen so far along.
  const count = document.querySelector("select[name=passengers][data-autosubmit]");
  if (count) {
    // Capture: this runs before the select's own listener submits the form.
    count.form.addEventListener("change", () => {
      count.form.querySelectorAll("input[data-carried-seat]").forEach((input) => input.remove());
      selects.filter((s) => s.value).forEach((s) => {
        const input = document.createElement("input");
        Object.assign(input, { type: "hidden", name: s.name, value: s.value });
        input.dataset.carriedSeat = "";
        count.form.append(input);
      });
    }, true);
  }

  map.removeAttribute("aria-readonly");
  map.classList.add("is-interactive");
  sync();
});
