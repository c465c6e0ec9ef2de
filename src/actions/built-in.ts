import type { Action } from "../core/action.js";
import { fileRead, fileWrite } from "./file-actions.js";
import { httpRequest } from "./http-request.js";

/** The actions every Cairn process knows, whatever it registers. */
export const BUILT_IN_ACTIONS: readonly Action<never>[] = [httpRequest, fileRead, fileWrite] as never;
