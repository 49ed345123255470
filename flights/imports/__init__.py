"""Staff bulk import of flights from a CSV file.

- `parsing`: bytes -> numbered rows of cells, or one clear error about the file as a whole
  (size, encoding, binary, header, no rows, too many rows); the sample file.
- `validation`: each row through the staff flight form's rules (`StaffFlightForm`), with the
  airports loaded once for the file instead of a query per cell; row-numbered errors.
- `services`: `flight_import_start` (store the upload, enqueue) and `flight_import_run` (the
  task's work: validate everything, then import every row in one transaction, or nothing).
- `selectors`: the status page's reads (the recent imports, the progress sentence).
"""
