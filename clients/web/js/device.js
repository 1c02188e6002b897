// This browser's device id: random, made once with crypto.getRandomValues and kept in
// localStorage, sent with each login so the server can tell a new device (and email the
// player about it). It names the browser, not the player: it is no secret and logs no one in.

const DEVICE_KEY = "casino.device";

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[0-9a-f]{32}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}
