/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for tests: every family has HELP
 * and TYPE before its samples, every sample belongs to the family declared last (with the _bucket,
 * _sum and _count suffixes of a histogram), names, label sets and values are well formed, and no
 * series appears twice. Throws on anything else. (parse-prometheus-text-format, the npm package,
 * drops the labels of labelled histograms, which are the ones Cairn exposes.)
 */
export interface Family {
  type: string;
  help: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: { name: string; family: Family } | undefined;
  if (!text.endsWith("\n")) throw new Error("The exposition does not end with a newline.");
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`Bad metric name in: ${line}`);
      const family = families.get(name) ?? { type: "untyped", help: "", samples: [] };
      if (kind === "HELP") family.help = rest;
      else if (["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) family.type = rest;
      else throw new Error(`Bad TYPE in: ${line}`);
      families.set(name, family);
      current = { name, family };
      continue;
    }
    if (line.startsWith("#") || line === "") continue;
    const match = SAMPLE.exec(line);
    if (!match || !current) throw new Error(`Not a sample of a declared family: ${line}`);
    const [, name, labelText = "", valueText] = match as unknown as [string, string, string, string];
    const suffixes = current.family.type === "histogram" ? ["", "_bucket", "_sum", "_count"] : [""];
    if (!suffixes.some((s) => name === current!.name + s))
      throw new Error(`Sample ${name} outside its family (last declared: ${current.name}).`);
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const l = LABEL.exec(labelText);
      if (!l) throw new Error(`Bad labels in: ${line}`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    }
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes "Nan").
    const special = { nan: Number.NaN, "+inf": Infinity, inf: Infinity, "-inf": -Infinity }[
      valueText.toLowerCase()
    ];
    const value = special ?? Number(valueText);
    if (special === undefined && (valueText === "" || Number.isNaN(value)))
      throw new Error(`Bad value in: ${line}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`Series appears twice: ${line}`);
    seen.add(key);
    current.family.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(name) ?? families.get(base);
  const matching = family?.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching && matching.length > 1) throw new Error(`${matching.length} samples of ${name} match.`);
  return matching?.[0]?.value;
}
