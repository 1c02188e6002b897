// JSON over HTTP with the staff session's bearer token. A 401 means the session is over
// (expired, logged out elsewhere, the account disabled): `expired` fires once and the app
// goes back to the login page with a message; the caller's promise then rejects.

import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const expired = new EventTarget();

export async function api(method, path, { body, headers } = {}) {
  const all = { Accept: "application/json", ...(headers || {}) };
  if (body !== undefined) all["Content-Type"] = "application/json";
  const held = session.current();
  if (held) all.Authorization = `Bearer ${held.token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (error) {
    throw new ApiError(0, "NETWORK", "the server cannot be reached");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    throw new ApiError(response.status, "BAD_REPLY", "the server sent something that is not JSON");
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401 && held && path !== "/api/staff/login") {
      expired.dispatchEvent(new Event("expired"));
    }
    throw new ApiError(response.status, error.code || `HTTP_${response.status}`, error.message, error);
  }
  return data;
}
