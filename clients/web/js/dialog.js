// Modal dialogs for what needs the player's answer (an unfinished hand, a forced logout).
// One at a time: a second request waits until the first is answered.

import { el, replace, $ } from "./ui.js";

let queue = Promise.resolve();

/**
 * ask({title, text, actions: [{label, value, primary}], name}) resolves with the value of
 * the chosen action (Escape counts as the last action).
 */
export function ask(options) {
  const answer = queue.then(() => show(options));
  queue = answer.catch(() => undefined);
  return answer;
}

export function inform(title, text, name = "info") {
  return ask({ title, text, name, actions: [{ label: "OK", value: true, primary: true }] });
}

function show({ title, text, actions, name }) {
  const dialog = $("#dialog");
  return new Promise((resolve) => {
    const buttons = actions.map((action) =>
      el(
        "button",
        {
          type: "button",
          class: action.primary ? "primary" : "secondary",
          dataset: { value: String(action.value) },
          onclick: () => finish(action.value),
        },
        action.label,
      ),
    );
    const finish = (value) => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(value);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(actions[actions.length - 1].value);
    };
    dialog.dataset.name = name || "dialog";
    replace(
      dialog,
      el("h2", {}, title),
      ...[].concat(text).map((line) => el("p", {}, line)),
      el("div", { class: "dialog-actions" }, buttons),
    );
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    (buttons.find((b) => b.classList.contains("primary")) || buttons[0]).focus();
  });
}
