// Small DOM helpers. Text from the server always goes in as text (never as HTML).

/** el("button", {class: "primary", onclick: fn}, "Spin") */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A short notice in the corner that goes away by itself (errors stay a little longer). A
 * success clears the error notices still showing: they are about an attempt now superseded. */
export function notify(text, kind = "info") {
  if (kind === "success") clearErrors();
  const area = $("#notices");
  const notice = el("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  area.append(notice);
  setTimeout(() => notice.classList.add("leaving"), kind === "error" ? 6000 : 3500);
  setTimeout(() => notice.remove(), kind === "error" ? 6600 : 4100);
}

/** Remove the error notices still showing (the next success makes them stale). */
export function clearErrors() {
  for (const notice of document.querySelectorAll("#notices .notice.error")) notice.remove();
}

/** Runs `action` with `button` disabled, reporting a failure as a notice. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    notify(error.message || String(error), "error");
    return undefined;
  } finally {
    button.disabled = false;
  }
}

export function timeText(ms) {
  return new Date(ms).toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
