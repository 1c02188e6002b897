// Getting back in: ask for a password reset link, and set a new password from one. Also
// follows an email verification link. The links in the emails open the page with
// ?reset=TOKEN or ?verify=TOKEN; `followEmailLink` handles both before anything else shows.

import { el, replace, notify } from "../ui.js";
import { api } from "../http.js";

function field(label, input) {
  return el("label", { class: "field" }, el("span", {}, label), input);
}

/** Replace `form` with the "forgot password" form. */
export function renderForgot(form) {
  const login = el("input", { name: "reset-login", required: true, autocomplete: "username" });
  const submit = el("button", { type: "submit", class: "primary wide" }, "Email me a reset link");
  const forgot = el(
    "form",
    { class: "stack", id: "forgot-form" },
    el("p", {}, "Enter your username or email. If an account matches, we email it a link to set a new password."),
    field("Username or email", login),
    submit,
  );
  forgot.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const reply = await api("POST", "/api/password-resets", { body: { login: login.value.trim() } });
      replace(forgot, el("p", { class: "notice", id: "forgot-sent" }, `Thank you: ${reply.status}.`));
    } catch (error) {
      notify(error.message, "error");
      submit.disabled = false;
    }
  });
  form.replaceWith(forgot);
}

function renderReset(container, token, done) {
  const password = el("input", { name: "new-password", type: "password", required: true, minlength: 10, autocomplete: "new-password" });
  const submit = el("button", { type: "submit", class: "primary wide" }, "Set new password");
  const form = el(
    "form",
    { class: "stack", id: "reset-form" },
    field("New password (at least 10 characters; mix letters, digits and symbols)", password),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await api("POST", "/api/password-resets/confirm", { body: { token, new_password: password.value } });
      notify("Your password is set, and every session was logged out. Log in with the new one.", "success");
      done();
    } catch (error) {
      const expired = error.code === "LINK_EXPIRED" || error.code === "INVALID_LINK";
      notify(expired ? "This link no longer works: ask for a new one." : error.message, "error");
      submit.disabled = false;
      if (expired) done();
    }
  });
  replace(container, el("section", { class: "panel auth" }, el("h1", {}, "Choose a new password"), form));
}

/** Handle ?verify= or ?reset= in the address; true when a screen was shown for it. */
export async function followEmailLink(container, done) {
  const params = new URLSearchParams(location.search);
  const clean = () => history.replaceState(null, "", location.pathname + location.hash);
  if (params.has("verify")) {
    clean();
    try {
      await api("POST", "/api/email-verifications", { body: { token: params.get("verify") } });
      notify("Thank you: your email address is verified.", "success");
    } catch (error) {
      notify(error.code === "LINK_EXPIRED" ? "This link has expired: ask for a new one under Account." : "This verification link is not valid (or was used already).", "error");
    }
    return false;
  }
  if (params.has("reset")) {
    const token = params.get("reset");
    clean();
    renderReset(container, token, done);
    return true;
  }
  return false;
}
