/**
 * A tiny reader for the HTML react-dom/server produces (well-formed, attributes quoted), enough
 * to query elements by attribute and read their text like a user would.
 */
export interface El {
  tag: string;
  attrs: Record<string, string>;
  children: Array<El | string>;
}

const VOID = new Set(["input", "br", "img", "hr", "meta", "link", "path"]);

export function parse(html: string): El {
  const root: El = { tag: "#root", attrs: {}, children: [] };
  const stack: El[] = [root];
  const re = /<\/([a-zA-Z0-9-]+)>|<([a-zA-Z0-9-]+)((?:\s+[^\s=/>]+(?:="[^"]*")?)*)\s*(\/?)>|([^<]+)/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const top = stack.at(-1)!;
    if (m[1]) {
      while (stack.length > 1 && stack.pop()!.tag !== m[1]);
    } else if (m[2]) {
      const attrs: Record<string, string> = {};
      for (const a of m[3]!.matchAll(/([^\s=/>]+)(?:="([^"]*)")?/g)) attrs[a[1]!] = decode(a[2] ?? "");
      const el: El = { tag: m[2].toLowerCase(), attrs, children: [] };
      top.children.push(el);
      if (!m[4] && !VOID.has(el.tag)) stack.push(el);
    } else if (m[5]) top.children.push(decode(m[5]));
  }
  return root;
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, "&");
}

export function all(root: El, match: (el: El) => boolean): El[] {
  const out: El[] = [];
  const walk = (el: El) => {
    for (const c of el.children)
      if (typeof c !== "string") {
        if (match(c)) out.push(c);
        walk(c);
      }
  };
  walk(root);
  return out;
}

export function byTestId(root: El, id: string): El[] {
  return all(root, (el) => el.attrs["data-testid"] === id);
}

export function one(root: El, match: (el: El) => boolean, what: string): El {
  const found = all(root, match);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}`);
  return found[0]!;
}

/** The element's text, whitespace collapsed (what a reader sees). */
export function text(el: El | string): string {
  return raw(el).replace(/\s+/g, " ").trim();
}

function raw(el: El | string): string {
  return typeof el === "string" ? el : el.children.map(raw).join("");
}

/** Whether a button cannot be used: disabled, or aria-disabled. */
export function isDisabled(el: El): boolean {
  return "disabled" in el.attrs || el.attrs["aria-disabled"] === "true";
}
