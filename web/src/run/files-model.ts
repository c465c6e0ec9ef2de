import Papa from "papaparse";

/** How the Files tab shows a file's content, from the content type the server sends it with. */
export type PreviewKind = "image" | "json" | "csv" | "text" | "none";

/** Larger files are offered for download only: a preview must not stall the tab. */
export const PREVIEW_MAX_BYTES = 2 * 1024 * 1024;

/** Rows of a CSV preview (the header not counted); the rest is in the download. */
export const CSV_PREVIEW_ROWS = 200;

export function previewKind(contentType: string): PreviewKind {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  // SVG too: shown through <img>, where an image's scripts never run.
  if (type.startsWith("image/")) return "image";
  if (type === "application/json") return "json";
  if (type === "text/csv" || type === "text/tab-separated-values") return "csv";
  // HTML is shown as its source, never rendered: it came from a step, not from Cairn.
  if (type.startsWith("text/") || TEXT_TYPES.has(type)) return "text";
  return "none";
}

const TEXT_TYPES = new Set(["application/x-ndjson", "application/xml", "application/yaml"]);

export interface CsvPreview {
  header: string[];
  rows: string[][];
  /** More rows follow than the preview shows. */
  truncated: boolean;
}

/** The first rows of a CSV (or TSV) file, quotes and embedded newlines handled by Papa Parse. */
export function csvPreview(text: string, tabSeparated: boolean): CsvPreview {
  const parsed = Papa.parse<string[]>(text, {
    delimiter: tabSeparated ? "\t" : ",",
    preview: CSV_PREVIEW_ROWS + 2,
    skipEmptyLines: "greedy",
  });
  const [header = [], ...rest] = parsed.data;
  return {
    header,
    rows: rest.slice(0, CSV_PREVIEW_ROWS),
    truncated: rest.length > CSV_PREVIEW_ROWS,
  };
}

/** A JSON file pretty-printed, or its text as it is when it does not parse. */
export function jsonPreview(text: string): { value: unknown } | { invalid: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { invalid: error instanceof Error ? error.message : String(error) };
  }
}

/** The last segment of a `/`-separated path: the name a download is saved under. */
export function fileName(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf("/") + 1);
}
