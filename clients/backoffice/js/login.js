// The login page: name, password and a TOTP code or a recovery code. A session and the
// routes its role may call are kept for the tab (session.js).

import { api } from "./http.js";
import * as session from "./session.js";

export function showLogin(message = "") {
  document.getElementById("topbar").hidden = true;
  document.getElementById("page").hidden = true;
  document.getElementById("login-page").hidden = false;
  const notice = document.getElementById("login-notice");
  notice.textContent = message;
  notice.hidden = !message;
  document.getElementById("login-name").focus();
}

export function wireLogin(onLoggedIn) {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const reply = await api("POST", "/api/staff/login", {
        body: { name: data.get("name"), password: data.get("password"), code: data.get("code") },
      });
      session.keep({ token: reply.token, expires_at: reply.expires_at });
      const grants = await api("GET", "/api/staff/me/grants");
      session.keep({ token: reply.token, expires_at: reply.expires_at, grants });
      form.reset();
      onLoggedIn();
    } catch (refused) {
      error.textContent =
        refused.code === "LOGIN_LOCKED"
          ? "Too many attempts: wait, then try again."
          : refused.code === "INVALID_CREDENTIALS"
            ? "Wrong name, password or code."
            : refused.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}
