import type { Json } from "./types.js";

/**
 * Check that a step's output is plain JSON and return it as such. Throws a sentence naming the path
 * of the first value JSON cannot hold (a function, a bigint, a Map, a cycle…).
 */
export function toJsonValue(value: unknown, what = "output"): Json {
  const seen = new Set<object>();
  const check = (v: unknown, path: string): void => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`${path} is ${v}, which JSON cannot hold`);
      return;
    }
    if (typeof v === "object") {
      if (seen.has(v)) throw new TypeError(`${path} refers back to itself (a cycle)`);
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") return;
      const proto = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && proto !== Object.prototype && proto !== null)
        throw new TypeError(
          `${path} is a ${proto?.constructor?.name ?? "non-plain object"}, which JSON cannot hold`,
        );
      seen.add(v);
      if (Array.isArray(v)) for (const [i, item] of v.entries()) check(item, `${path}[${i}]`);
      else for (const [k, item] of Object.entries(v)) if (item !== undefined) check(item, `${path}.${k}`);
      seen.delete(v);
      return;
    }
    throw new TypeError(`${path} is a ${typeof v}, which JSON cannot hold`);
  };
  if (value === undefined) return null;
  try {
    check(value, what);
  } catch (error) {
    throw new TypeError(
      `The step's ${(error as Error).message}; return plain JSON (objects, arrays, strings, numbers, booleans, null).`,
    );
  }
  return JSON.parse(JSON.stringify(value)) as Json;
}
