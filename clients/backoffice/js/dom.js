// Small DOM helpers: elements built with properties and attributes, never HTML strings, so
// nothing a player typed (a username, a note) is ever parsed as markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Money in minor units as "EUR 12.34" (two decimals: every currency the server offers has two).
export function money(minor, currency = "") {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(Number(minor));
  const text = `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
  return currency ? `${currency} ${text}` : text;
}

// A moment (ms since the epoch) in UTC, to the second: staff compare it with the logs.
export function when(ms) {
  if (ms === null || ms === undefined) return "";
  return new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

// A table of `rows` with `columns`: [{key, label, num, render}] (render returns text or a node);
// `item(row)`, when given, is the row's `data-item` (tests and links find a row by it).
export function table(columns, rows, attrs = {}, item = null) {
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, text: c.label })))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          { "data-item": item ? String(item(row)) : null },
          columns.map((c) => {
            const value = c.render ? c.render(row) : row[c.key];
            return h("td", { class: c.num ? "num" : null }, value instanceof Node ? value : String(value ?? ""));
          }),
        ),
      ),
    ),
  );
}

// A line that tells the result of an action: ok (green) or the refusal (red).
export function status(el, text, ok = true) {
  el.textContent = text;
  el.className = ok ? "ok" : "error";
  el.hidden = false;
}

// A key for a request that must not happen twice (an adjustment, an account closing).
export function idempotencyKey(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
