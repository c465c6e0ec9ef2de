/**
 * Response shapes. Hono checks these only at compile time, so the API tests parse every response
 * with them too. Times are milliseconds since the Unix epoch. Kept by topic (common, run, item, action
 * and workflow schemas, each in its own file beside this one); routes, tests and the web UI's types
 * import them from here.
 */

export * from "./action-schemas.js";
export { ErrorSchema, HealthSchema, JsonValue, MeSchema, StepErrorSchema } from "./common-schemas.js";
export * from "./item-schemas.js";
export * from "./run-schemas.js";
export * from "./workflow-schemas.js";
