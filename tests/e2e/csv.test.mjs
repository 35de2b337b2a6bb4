// The page's CSV cells (www/csv.js, used by the timeline export): labels and model names come
// from a model's metadata, which may be anyone's. A cell with `,` `"` or a line break is
// quoted (RFC 4180) so the header does not split, and one that begins like a formula gets a
// leading `'`, as the CLI does (cli/src/export/csv.rs `text_cell`). No browser needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvRow, textCell } from "../../www/csv.js";
import { parseCsv } from "./helpers.mjs";

test("text cells that would run as spreadsheet formulas get a leading '", () => {
  for (const formula of ["=1+1", "+1", "-1", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")", "\t=1", "\r=1"]) {
    assert.equal(textCell(formula), `'${formula}`, JSON.stringify(formula));
  }
  for (const plain of ["neutral", "a=b", "1-2", "", " =1", "emotion4"]) assert.equal(textCell(plain), plain);
  assert.equal(textCell(null), "");
});

test("cells with commas, quotes or line breaks are quoted and read back whole", () => {
  const cells = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "plain", "'=1+1", ""];
  const line = csvRow(cells);
  assert.equal(line, '"a,b","say ""hi""","two\nlines","cr\rhere",plain,\'=1+1,');
  assert.deepEqual(parseCsv(`${csvRow(["x", "y"])}\n${line}\n`), [["x", "y"], cells]);
});
