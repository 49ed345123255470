"""The staff pages, one module per page group: schedule (list, add, edit, remove flights),
imports (CSV upload, sample, status and its JSON), manifest, mail (the outbox as "sent
mail"). Each view checks staff access, parses a form and calls one domain service or
selector."""
