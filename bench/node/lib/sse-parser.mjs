/**
 * The baseline: a small, correct Server-Sent Events parser in plain JavaScript over
 * `fetch` (WHATWG "event stream interpretation": `\n`, `\r\n` and `\r` line ends,
 * comments, `data` lines joined with `\n`, one leading space stripped, `id` without
 * NUL), yielding `{ id?, event?, data }` with `data` parsed as JSON — what a user would
 * write without the SDK.
 */

export class SseParser {
  #rest = "";
  #pendingCR = false;
  #data = [];
  #event = undefined;
  #id = undefined;

  /** Feeds decoded text; calls `emit` for every complete event. */
  feed(text, emit) {
    if (this.#pendingCR) {
      // A `\r` that ended the previous chunk already closed its line.
      this.#pendingCR = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    if (text.includes("\r")) {
      let tail = "";
      if (text.endsWith("\r")) {
        this.#pendingCR = true;
        text = text.slice(0, -1);
        tail = "\n";
      }
      text = text.replace(/\r\n?/g, "\n") + tail;
    }
    const buf = this.#rest + text;
    let start = 0;
    let end;
    while ((end = buf.indexOf("\n", start)) !== -1) {
      this.#line(buf.slice(start, end), emit);
      start = end + 1;
    }
    this.#rest = buf.slice(start);
  }

  #line(line, emit) {
    if (line.length === 0) {
      if (this.#data.length > 0) {
        const ev = { data: JSON.parse(this.#data.length === 1 ? this.#data[0] : this.#data.join("\n")) };
        if (this.#id !== undefined) ev.id = this.#id;
        if (this.#event !== undefined) ev.event = this.#event;
        emit(ev);
      }
      this.#data = [];
      this.#event = undefined;
      this.#id = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ":" */) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
    switch (field) {
      case "data":
        this.#data.push(value);
        break;
      case "event":
        this.#event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.#id = value;
        break;
      default:
        break; // `retry` and unknown fields do not change what is yielded
    }
  }
}

/** Streams the events of `url` as an async generator, parsing while the body arrives. */
export async function* fetchEvents(url, headers) {
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const ready = [];
  const emit = (ev) => ready.push(ev);
  for await (const chunk of res.body) {
    parser.feed(decoder.decode(chunk, { stream: true }), emit);
    for (let i = 0; i < ready.length; i++) yield ready[i];
    ready.length = 0;
  }
  parser.feed(decoder.decode(), emit);
  yield* ready;
}
