// The HTTP half of the protocol: JSON in and out, errors as ApiError with the server's code.
// Every reply says which money the server moves (Casino-Mode: sandbox | live); `serverMode`
// tells the page once it knows, and again if it ever changes. An error's `message` is the
// sentence for the player (messages.js); the server's own words stay in `serverMessage`.

import { sentence } from "./messages.js";

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    // The field a refusal names words it too ("Please check the date of birth you entered").
    super(sentence(code, { ...(details.field ? { field: details.field } : {}), ...details.params }, message));
    this.status = status;
    this.code = code;
    this.serverMessage = message;
    this.details = details; // the refusal's own fields (`required`, `level`, `gateways`, ...)
  }
}

export const serverMode = new EventTarget();
let knownMode = null;

function noteMode(response) {
  const mode = response.headers.get("Casino-Mode");
  if (!mode || mode === knownMode) return;
  knownMode = mode;
  serverMode.dispatchEvent(new CustomEvent("mode", { detail: mode }));
}

export async function api(method, path, { body, token, headers } = {}) {
  const allHeaders = { Accept: "application/json", ...(headers || {}) };
  if (body !== undefined) allHeaders["Content-Type"] = "application/json";
  if (token) allHeaders.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: allHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (error) {
    throw new ApiError(0, "NETWORK", "the server cannot be reached");
  }
  noteMode(response);
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ApiError(response.status, "BAD_REPLY", "the server sent something that is not JSON");
    }
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `HTTP_${response.status}`, error.message, error);
  }
  return data;
}

export const accounts = {
  register: (fields) => api("POST", "/api/players", { body: fields }),
  login: (login, password, extra = {}) => api("POST", "/api/sessions", { body: { login, password, ...extra } }),
  logout: (token) => api("DELETE", "/api/sessions/current", { token }),
};

export const money = {
  wallet: (token) => api("GET", "/api/wallet", { token }),
  deposit: (token, amount, key) =>
    api("POST", "/api/sandbox/deposits", {
      token,
      body: { amount },
      headers: { "Idempotency-Key": key },
    }),
};

export const catalogue = {
  games: () => api("GET", "/api/games"),
};
