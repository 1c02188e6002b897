// The player's account: profile (email and its verification, language, postal address),
// password, two-factor login and the list of their sessions. Name and date of birth are
// not editable here: they identify the player and change only through KYC.

import { el, replace, notify } from "../ui.js";
import { api } from "../http.js";
import { session } from "../session.js";

const call = (method, path, body) => api(method, path, { token: session.token, body });

function field(label, input, hint) {
  return el("label", { class: "field" }, el("span", {}, label), input, hint && el("small", {}, hint));
}

function when(ms) {
  return new Date(ms).toLocaleString();
}

function form(id, children, submitLabel, action) {
  const submit = el("button", { type: "submit", class: "primary" }, submitLabel);
  const node = el("form", { class: "stack", id }, ...children, submit);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await action();
    } catch (error) {
      notify(error.message, "error");
    } finally {
      submit.disabled = false;
    }
  });
  return node;
}

function profileSection(profile, refresh) {
  const status = profile.email_verified
    ? el("strong", { class: "ok", id: "email-status" }, "verified")
    : el("strong", { class: "warn", id: "email-status" }, "not verified: withdrawals wait until it is");
  const resend = el("button", {
    type: "button", class: "secondary small", id: "resend-verification", hidden: profile.email_verified,
    onclick: async () => {
      try {
        await call("POST", "/api/me/email-verification");
        notify("We sent you a new link.", "success");
      } catch (error) {
        notify(error.message, "error");
      }
    },
  }, "Send the link again");
  const language = el("select", { name: "language" }, profile.languages.map((code) =>
    el("option", { value: code, selected: code === profile.language }, { en: "English", de: "Deutsch" }[code] || code)));
  const address = el("textarea", { name: "postal_address", rows: 3, maxlength: 500 });
  address.value = profile.postal_address;
  const newEmail = el("input", { name: "new_email", type: "email", required: true });
  const emailPassword = el("input", { name: "email_password", type: "password", required: true, autocomplete: "current-password" });
  return el("section", { class: "panel", id: "profile" },
    el("h2", {}, "Profile"),
    el("p", {}, `Email: ${profile.email} `, status, " ", resend),
    form("details-form", [field("Language of our emails", language), field("Postal address", address)], "Save", async () => {
      await call("POST", "/api/me/profile", { language: language.value, postal_address: address.value });
      notify("Saved.", "success");
      refresh();
    }),
    form("email-form", [field("New email", newEmail), field("Your password", emailPassword)], "Change email", async () => {
      await call("POST", "/api/me/email", { email: newEmail.value.trim(), password: emailPassword.value });
      notify("Email changed: confirm it with the link we sent there.", "success");
      refresh();
    }),
    el("p", { class: "fine", id: "kyc-note" },
      `Name and date of birth (${profile.date_of_birth}) identify you for identity checks (KYC): ` +
      "they cannot be changed here. To correct them, contact support with an identity document."),
  );
}

function passwordSection() {
  const current = el("input", { name: "current_password", type: "password", required: true, autocomplete: "current-password" });
  const next = el("input", { name: "new_password", type: "password", required: true, minlength: 10, autocomplete: "new-password" });
  return el("section", { class: "panel", id: "password" },
    el("h2", {}, "Password"),
    form("password-form", [field("Current password", current), field("New password", next, "at least 10 characters")], "Change password", async () => {
      const reply = await call("POST", "/api/me/password", { current_password: current.value, new_password: next.value });
      notify(`Password changed; ${reply.revoked_sessions} other session(s) logged out.`, "success");
      current.value = next.value = "";
    }),
  );
}

function twoFactorSection(enabled, refresh) {
  const body = el("div", { id: "two-factor-body" });
  const section = el("section", { class: "panel", id: "two-factor" }, el("h2", {}, "Two-factor login"), body);
  if (enabled) {
    const password = el("input", { name: "tf_password", type: "password", required: true });
    const code = el("input", { name: "tf_code", required: true, autocomplete: "one-time-code" });
    replace(body, el("p", { id: "two-factor-state" }, "On: a login asks for a code from your app."),
      form("two-factor-off", [field("Password", password), field("Code or recovery code", code)], "Turn off", async () => {
        await call("POST", "/api/me/two-factor/disable", { password: password.value, code: code.value.trim() });
        notify("Two-factor login is off.", "success");
        refresh();
      }));
    return section;
  }
  const start = el("button", { type: "button", class: "primary", id: "two-factor-setup", onclick: async () => {
    const setup = await call("POST", "/api/me/two-factor/setup");
    const code = el("input", { name: "tf_enable_code", required: true, inputmode: "numeric", autocomplete: "one-time-code" });
    replace(body,
      el("p", {}, "Add this key to your authenticator app (or open the link on your phone), then enter the code it shows."),
      el("p", {}, el("code", { id: "two-factor-secret" }, setup.secret)),
      el("p", { class: "fine" }, el("a", { href: setup.uri, id: "two-factor-uri" }, "otpauth link")),
      form("two-factor-enable", [field("Code", code)], "Turn on", async () => {
        const reply = await call("POST", "/api/me/two-factor/enable", { code: code.value.trim() });
        replace(body,
          el("p", { id: "two-factor-state" }, "On. Keep these recovery codes somewhere safe: each one logs you in once if you lose your phone. They are shown only now."),
          el("ul", { id: "recovery-codes" }, reply.recovery_codes.map((c) => el("li", {}, el("code", {}, c)))),
          el("button", { type: "button", class: "secondary", onclick: refresh }, "Done"));
      }));
  } }, "Set up");
  replace(body, el("p", { id: "two-factor-state" }, "Off. With it on, a login also needs a code from an app on your phone."), start);
  return section;
}

function sessionsSection(sessions, refresh) {
  const end = async (path) => {
    const reply = await call("DELETE", path);
    notify(`${reply.sessions_ended} session(s) logged out.`, "success");
    refresh();
  };
  return el("section", { class: "panel", id: "sessions" },
    el("h2", {}, "Where you are logged in"),
    el("ul", { class: "stack", id: "session-list" }, sessions.map((s) => el("li", { dataset: { session: s.id } },
      el("strong", {}, s.device), ` · ${s.address} · last seen ${when(s.last_seen_at)} `,
      s.current ? el("em", {}, "(this browser)") :
        el("button", { type: "button", class: "secondary small", onclick: () => end(`/api/me/sessions/${s.id}`) }, "Log out")))),
    el("button", { type: "button", class: "secondary", id: "end-other-sessions", onclick: () => end("/api/me/sessions") }, "Log out everywhere else"),
  );
}

export async function renderAccount(container) {
  const refresh = () => renderAccount(container);
  try {
    const [profile, tf, list] = await Promise.all([
      call("GET", "/api/me/profile"),
      call("GET", "/api/me/two-factor"),
      call("GET", "/api/me/sessions"),
    ]);
    replace(container, el("div", { class: "account" },
      el("h1", {}, "Account"),
      profileSection(profile, refresh),
      passwordSection(),
      twoFactorSection(tf.enabled, refresh),
      sessionsSection(list.sessions, refresh)));
  } catch (error) {
    notify(error.message, "error");
  }
}
