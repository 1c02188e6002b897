// The play connection: one WebSocket speaking MessagePack on binary frames.
// A request's reply is the frame echoing its id (replies may come in any order);
// frames without an id are server pushes and go to `onPush`.

/* global MessagePack */

import { sentence } from "./messages.js";

const REQUEST_TIMEOUT_MS = 15000;

/** An error reply; `message` is the sentence for the player (messages.js). */
export class ProtocolError extends Error {
  constructor(reply) {
    super(sentence(reply.code, reply.params, reply.message));
    this.code = reply.code;
    this.balance = reply.balance;
    this.reply = reply;
  }
}

export class GameSocket {
  constructor(url, { onPush, onClose }) {
    this.url = url;
    this.onPush = onPush;
    this.onClose = onClose;
    this.pending = new Map();
    this.ws = null;
    this.closedByUs = false;
  }

  /** Resolves once the socket is open. */
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = "arraybuffer";
      ws.onopen = () => resolve(this);
      ws.onerror = () => reject(new Error("the game server cannot be reached"));
      ws.onmessage = (event) => this.receive(event.data);
      ws.onclose = (event) => this.closed(event);
      this.ws = ws;
    });
  }

  /** Send `type` with `fields` under `id`; resolves with the reply, rejects with ProtocolError. */
  request(type, fields, id) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ProtocolError({ code: "DISCONNECTED", message: "not connected" }));
    }
    const frame = MessagePack.encode({ ...fields, type, id });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProtocolError({ code: "TIMEOUT", message: `no reply to ${type}` }));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(frame);
    });
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close(1000, "bye");
  }

  receive(data) {
    let message;
    try {
      message = typeof data === "string" ? JSON.parse(data) : MessagePack.decode(new Uint8Array(data));
    } catch (error) {
      console.warn("undecodable frame from the server", error);
      return;
    }
    if (!message || typeof message !== "object") return;
    const waiting = message.id === undefined || message.id === null ? null : this.pending.get(message.id);
    if (!waiting) {
      this.onPush(message);
      return;
    }
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.type === "error") waiting.reject(new ProtocolError(message));
    else waiting.resolve(message);
  }

  closed(event) {
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new ProtocolError({ code: "DISCONNECTED", message: "connection closed" }));
    }
    this.pending.clear();
    this.onClose({ code: event.code, byUs: this.closedByUs });
  }
}

export function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}
