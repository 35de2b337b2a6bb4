// CSV cells the way the CLI writes them (cli/src/export/csv.rs: `text_cell`, then the csv
// crate's quoting), so a page export and a CLI export of hostile labels read the same.

/** A text cell (label, state, model name): one that begins with `=`, `+`, `-`, `@`, a tab or
 * a carriage return would run as a formula in a spreadsheet (`=1+1`, `=HYPERLINK(…)`), so it
 * gets a leading `'`, which spreadsheets show as text. Numbers are never passed through here. */
export function textCell(value) {
  const text = String(value ?? "");
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One CSV record (RFC 4180): a cell holding `,`, `"`, CR or LF is quoted, `"` doubled. */
export function csvRow(cells) {
  return cells.map((cell) => {
    const text = String(cell);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }).join(",");
}
