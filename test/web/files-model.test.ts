import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CsvPreview, PreviewKind } from "../../web/src/run/files-model.js";
import { webModule } from "./helpers/web-module.js";

// How the Files tab previews a file: the kind from its content type, the first rows of a CSV.
const { previewKind, csvPreview, jsonPreview, CSV_PREVIEW_ROWS } = await webModule<{
  previewKind: (contentType: string) => PreviewKind;
  csvPreview: (text: string, tabSeparated: boolean) => CsvPreview;
  jsonPreview: (text: string) => { value: unknown } | { invalid: string };
  CSV_PREVIEW_ROWS: number;
}>("run/files-model.ts");

describe("file previews", () => {
  test("the content type the server sends decides the preview; HTML and unknown types are never rendered", () => {
    const kinds = Object.fromEntries(
      [
        "image/png",
        "image/svg+xml",
        "application/json",
        "text/csv; charset=utf-8",
        "text/tab-separated-values; charset=utf-8",
        "text/plain; charset=utf-8",
        "text/html; charset=utf-8",
        "application/yaml",
        "application/x-ndjson",
        "application/pdf",
        "application/octet-stream",
        "",
      ].map((t) => [t, previewKind(t)]),
    );
    assert.deepEqual(kinds, {
      "image/png": "image",
      "image/svg+xml": "image",
      "application/json": "json",
      "text/csv; charset=utf-8": "csv",
      "text/tab-separated-values; charset=utf-8": "csv",
      "text/plain; charset=utf-8": "text",
      "text/html; charset=utf-8": "text",
      "application/yaml": "text",
      "application/x-ndjson": "text",
      "application/pdf": "none",
      "application/octet-stream": "none",
      "": "none",
    });
  });

  test("a CSV keeps quoted commas and newlines in their cell; TSV splits on tabs", () => {
    assert.deepEqual(csvPreview('name,note\nada,"likes, commas"\ngrace,"two\nlines"\n', false), {
      header: ["name", "note"],
      rows: [
        ["ada", "likes, commas"],
        ["grace", "two\nlines"],
      ],
      truncated: false,
    });
    assert.deepEqual(csvPreview("a\tb\n1,5\t2\n", true).rows, [["1,5", "2"]]);
  });

  test("a long CSV shows its first rows and says there are more", () => {
    const lines = ["n", ...Array.from({ length: CSV_PREVIEW_ROWS + 50 }, (_, i) => String(i))];
    const preview = csvPreview(lines.join("\n"), false);
    assert.equal(preview.rows.length, CSV_PREVIEW_ROWS);
    assert.deepEqual(preview.rows.at(-1), [String(CSV_PREVIEW_ROWS - 1)]);
    assert.equal(preview.truncated, true);
    assert.equal(csvPreview(lines.slice(0, CSV_PREVIEW_ROWS + 1).join("\n"), false).truncated, false);
  });

  test("JSON that does not parse is reported, not thrown", () => {
    assert.deepEqual(jsonPreview('{"a": [1]}'), { value: { a: [1] } });
    assert.ok("invalid" in jsonPreview("{oops"));
  });
});
