import type { Command, Option } from "commander";
import { CairnError } from "../core/errors.js";

/**
 * Every option of a command can also be set from the environment (containers, systemd units): the
 * variable is `CAIRN_` and the long flag in upper snake case (`--lease-ms` → `CAIRN_LEASE_MS`;
 * `--no-worker` → `CAIRN_WORKER=false`), and `--port` also reads `PORT` (the platform convention)
 * when `CAIRN_PORT` is not set. A flag on the command line wins over the environment. Lists
 * (`--workflows`) are separated by commas.
 */
export function bindEnvironment(
  command: Command,
  options: { env?: NodeJS.ProcessEnv; only?: readonly string[] } = {},
): void {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  for (const option of command.options) {
    if (options.only && !options.only.includes(option.long ?? "")) continue;
    const names = envNames(option);
    option.description += ` (env: ${names.join(", or ")})`;
    const name = names.find((n) => env[n] !== undefined && env[n] !== "");
    if (name === undefined) continue;
    const raw = env[name]!;
    const key = option.attributeName();
    if (option.negate || option.isBoolean()) {
      const value = parseBoolean(raw);
      if (value === undefined) problems.push(`${name} must be true or false, got "${raw}".`);
      else command.setOptionValueWithSource(key, value, "env");
    } else if (option.variadic) {
      // A default, not a value: a flag given on the command line then replaces the list instead of adding to it.
      option.default(
        raw
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean),
      );
      command.setOptionValueWithSource(key, option.defaultValue, "env");
    } else {
      option.default(raw);
      command.setOptionValueWithSource(key, raw, "env");
    }
  }
  // Reported when the command runs, as one sentence, like any usage error.
  if (problems.length > 0)
    command.hook("preAction", () => {
      throw new CairnError("USAGE", problems.join(" "));
    });
}

/** The variables an option reads, first one set wins. */
export function envNames(option: Option): string[] {
  const flag = (option.long ?? "").replace(/^--(no-)?/, "");
  const name = `CAIRN_${flag.toUpperCase().replace(/-/g, "_")}`;
  return flag === "port" ? [name, "PORT"] : [name];
}

function parseBoolean(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  return undefined;
}
