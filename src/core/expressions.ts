/**
 * The expressions a `with:` value may contain: `${{ input.x }}`, `${{ needs.<step>.output.<path> }}`
 * and `${{ secrets.NAME }}`. Only these references: a dot-separated path of names, with `[0]` for list
 * items — no operators, no calls, nothing evaluated. A value that is one whole expression takes the
 * referenced value's type (a number, a mapping…); an expression inside a longer string is put in as
 * text (JSON for a mapping or a list).
 */

export const EXPRESSION_ROOTS = ["input", "needs", "secrets"] as const;
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** One parsed reference: its root and the keys below it. */
export interface Reference {
  readonly text: string;
  readonly root: ExpressionRoot;
  readonly path: ReadonlyArray<string | number>;
}

const EXPRESSION = /\$\{\{(.*?)\}\}/g;
const WHOLE = /^\$\{\{(.*?)\}\}$/;
const SEGMENT = /^(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\])/;

export function hasExpression(value: unknown): boolean {
  if (typeof value === "string") return value.includes("${{");
  if (Array.isArray(value)) return value.some(hasExpression);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasExpression);
  return false;
}

/** Parse the text between `${{` and `}}`; a problem sentence when it is not a reference. */
export function parseReference(inner: string): Reference | string {
  const text = inner.trim();
  const root = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text)?.[0];
  if (!root || !(EXPRESSION_ROOTS as readonly string[]).includes(root))
    return `\${{ ${text} }} must start with ${EXPRESSION_ROOTS.join(", ")}`;
  const path: Array<string | number> = [];
  let rest = text.slice(root.length);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match)
      return `\${{ ${text} }} is not a reference like input.name or needs.<step>.output.field[0] (expressions hold paths only)`;
    path.push(match[1] ?? Number(match[2]));
    rest = rest.slice(match[0].length);
  }
  if (root === "needs" && (typeof path[0] !== "string" || path[1] !== "output"))
    return `\${{ ${text} }} must read needs.<step>.output, then an optional path`;
  if (root === "secrets" && (path.length !== 1 || typeof path[0] !== "string"))
    return `\${{ ${text} }} must name one secret, like secrets.API_KEY`;
  return { text, root: root as ExpressionRoot, path };
}

/** Every reference in a value with the path (below the value) where it sits; problems for bad ones. */
export function findReferences(
  value: unknown,
  at: Array<string | number> = [],
): Array<{ at: Array<string | number>; reference: Reference | string }> {
  if (typeof value === "string") {
    const found: Array<{ at: Array<string | number>; reference: Reference | string }> = [];
    for (const match of value.matchAll(EXPRESSION)) found.push({ at, reference: parseReference(match[1]!) });
    const unclosed = value.replace(EXPRESSION, "").includes("${{");
    if (unclosed) found.push({ at, reference: `an expression opened with \${{ is not closed with }}` });
    return found;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findReferences(v, [...at, i]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => findReferences(v, [...at, k]));
  return [];
}

/** What references resolve against when the step runs. */
export interface ExpressionScope {
  readonly input: unknown;
  readonly needs: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, string>>;
}

/** Raised for a reference whose path is not there when the step runs. */
export class MissingReference extends Error {}

/** The value with every expression replaced by what it refers to; throws MissingReference. */
export function resolveExpressions(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && !whole[1]!.includes("}}")) return lookUp(whole[1]!, scope);
    return value.replace(EXPRESSION, (_, inner: string) => {
      const found = lookUp(inner, scope);
      return typeof found === "string" ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveExpressions(v, scope));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveExpressions(v, scope)]));
  return value;
}

function lookUp(inner: string, scope: ExpressionScope): unknown {
  const reference = parseReference(inner);
  if (typeof reference === "string") throw new MissingReference(reference);
  // needs.<step>.output.<path>: the step's output is scope.needs[step].
  const [first, second, ...below] = reference.path;
  const start =
    reference.root === "needs"
      ? {
          value: scope.needs[first as string],
          shown: `needs.${String(first)}.${String(second)}`,
          path: below,
        }
      : { value: scope[reference.root] as unknown, shown: reference.root, path: reference.path };
  if (reference.root === "needs" && !Object.hasOwn(scope.needs, first as string))
    throw new MissingReference(`\${{ ${reference.text} }}: step "${String(first)}" is not one of its needs`);
  let current = start.value;
  let shown = start.shown;
  for (const key of start.path) {
    const next =
      typeof key === "number"
        ? Array.isArray(current)
          ? current[key]
          : undefined
        : typeof current === "object" &&
            current !== null &&
            !Array.isArray(current) &&
            Object.hasOwn(current, key)
          ? (current as Record<string, unknown>)[key]
          : undefined;
    if (next === undefined)
      throw new MissingReference(
        `\${{ ${reference.text} }}: ${shown} has no ${typeof key === "number" ? `item [${key}]` : `"${key}"`}${describe(current)}`,
      );
    current = next;
    shown += typeof key === "number" ? `[${key}]` : `.${key}`;
  }
  if (current === undefined) throw new MissingReference(`\${{ ${reference.text} }}: ${shown} is not set`);
  return current;
}

/** What the value is instead, without printing it (it may be large, or hold secret-derived data). */
function describe(value: unknown): string {
  if (value === null) return " (it is null)";
  if (Array.isArray(value)) return ` (it is a list of ${value.length})`;
  if (typeof value === "object")
    return ` (its keys: ${
      Object.keys(value as object)
        .slice(0, 10)
        .join(", ") || "none"
    })`;
  return ` (it is a ${typeof value})`;
}
