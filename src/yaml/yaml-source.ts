import path from "node:path";
import { type Document, isMap, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { CairnError } from "../core/errors.js";

/** A parsed YAML file that can say where (file:line:col) any part of it is. */
export interface YamlSource {
  readonly doc: Document;
  readonly data: unknown;
  /** `file:line:col` of the node at `path` (or of its nearest existing ancestor). */
  at(path: ReadonlyArray<string | number>): string;
  /** `file:line:col` of `key` in the mapping at `path`. */
  keyAt(path: ReadonlyArray<string | number>, key: string): string;
}

/**
 * Parse YAML text; syntax errors (bad indentation, duplicate keys, unclosed quotes…) are thrown as
 * one INVALID_DEFINITION error listing each with its file, line and column.
 */
export function parseYamlSource(file: string, text: string): YamlSource {
  const shown = displayPath(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const lines = doc.errors.slice(0, 5).map((e) => `${where(errorOffset(doc, e))}: ${errorText(e, text)}`);
    const message =
      lines.length === 1 ? `${lines[0]}.` : `${shown} is not valid YAML:\n  - ${lines.join("\n  - ")}`;
    throw new CairnError("INVALID_DEFINITION", message, { details: { problems: lines } });
  }
  const nodeAt = (p: ReadonlyArray<string | number>) => {
    // Walk as far down the path as the document goes and point there.
    for (let n = p.length; n >= 0; n--) {
      const node = (n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)) as { range?: number[] } | null;
      if (node && typeof node === "object" && node.range) return node;
    }
    return null;
  };
  const at = (p: ReadonlyArray<string | number>) => {
    const node = nodeAt(p);
    return node?.range ? where(node.range[0]!) : shown;
  };
  const keyAt = (p: ReadonlyArray<string | number>, key: string) => {
    const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
    if (isMap(node))
      for (const pair of node.items) {
        const k = pair.key as { value?: unknown; range?: number[] } | null;
        if (k && String(k.value) === key && k.range) return where(k.range[0]!);
      }
    return at(p);
  };
  return { doc, data: doc.toJS(), at, keyAt };
}

/** The path as the user would type it: relative to the current directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

function errorText(error: YAMLError, source: string): string {
  const text = error.message.split("\n")[0] ?? error.code;
  const colonHint = colonInValueHint(error, source);
  if (colonHint) return colonHint;
  if (error.code === "DUPLICATE_KEY") return `${text} (a key appears twice in one mapping)`;
  if (error.code === "MISSING_CHAR" && /quote/i.test(text))
    return "this quoted value is never closed (missing closing quote)";
  return text;
}

/**
 * `run: echo "a: b"` is a nested mapping to YAML (an unquoted value may not contain ": "), and the
 * parser's own words ("Nested mappings are not allowed in compact mappings") do not say what to do.
 */
function colonInValueHint(error: YAMLError, source: string): string | undefined {
  if (error.code !== "BLOCK_AS_IMPLICIT_KEY") return undefined;
  const start = source.lastIndexOf("\n", error.pos[0] - 1) + 1;
  const end = source.indexOf("\n", start);
  const line = source.slice(start, end === -1 ? undefined : end);
  const match = /^\s*(?:-\s+)?([\w.-]+):\s+(\S.*)$/.exec(line);
  if (!match || !match[2]!.includes(": ")) return undefined;
  const [, key, value] = match;
  return `the value of "${key}" contains ": ", which YAML reads as a nested mapping; quote the whole value (${key}: '${value!.replaceAll("'", "''")}') or write it as a block (${key}: | and the value on the next line, indented)`;
}

/**
 * The yaml library reports an unclosed quote at the end of the file; point at the quote that opens
 * the value instead, which is where the mistake is.
 */
function errorOffset(doc: Document, error: YAMLError): number {
  const offset = error.pos[0];
  if (error.code !== "MISSING_CHAR" || !/quote/i.test(error.message)) return offset;
  let opening: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE";
      if (quoted && node.range && node.range[1] === offset) opening = node.range[0];
    },
  });
  return opening ?? offset;
}
