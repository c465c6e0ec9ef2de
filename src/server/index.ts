export { createApp } from "./app.js";
export type { AuthMode, Principal } from "./auth.js";
export { API_ERROR_CODES, type ApiErrorCode, type ErrorBody } from "./errors.js";
export { type Listening, listen } from "./listen.js";
export { openApiDocument } from "./openapi.js";
export { type AppOptions, DEFAULT_BODY_LIMIT_BYTES } from "./options.js";
export type { App } from "./routes/common.js";
export { createToken, hashToken, revokeToken, verifyToken } from "./tokens.js";
