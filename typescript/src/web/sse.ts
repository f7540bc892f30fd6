/**
 * The SSE parser of `docs/streaming.md`, mirroring `crates/zaby/src/sse.rs` line for line:
 * CR, LF and CRLF line ends (a CRLF split across chunks counts once), a leading BOM
 * dropped, comments ignored, `data` lines joined with `\n`, an `id` holding NUL
 * ignored, a block without any field never dispatched. Bytes are decoded as UTF-8
 * across chunk boundaries (invalid sequences become U+FFFD).
 */
import type { RunEvent, SseEvent } from "../types.js";

/** An event with its data still as text (the core's `RawSseEvent`). */
export interface RawSseEvent {
  id?: string;
  event?: string;
  data: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private line = "";
  private afterCr = false;
  private id: string | undefined;
  private event: string | undefined;
  private data: string | undefined;
  private hasField = false;

  /** Parses `chunk` and returns the events it completed. */
  feed(chunk: Uint8Array | string): RawSseEvent[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: RawSseEvent[] = [];
    this.push(text, out);
    return out;
  }

  /** Ends a complete body: an unterminated last line and block are dispatched. */
  finish(): RawSseEvent | undefined {
    const out: RawSseEvent[] = [];
    this.push(this.decoder.decode(), out);
    if (this.line !== "") {
      const line = this.line;
      this.line = "";
      this.processLine(line, out);
    }
    this.dispatch(out);
    return out.pop();
  }

  /** Parses a whole body at once, dispatching the final block. */
  static parseComplete(text: string): RawSseEvent[] {
    const parser = new SseParser();
    const events = parser.feed(text);
    const last = parser.finish();
    if (last) events.push(last);
    return events;
  }

  private push(input: string, out: RawSseEvent[]): void {
    let text = input;
    if (text === "") return;
    if (this.afterCr) {
      this.afterCr = false;
      // The second half of a CRLF that was split across chunks.
      if (text.startsWith("\n")) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 13 && c !== 10) continue;
      const line = this.line + text.slice(start, i);
      this.line = "";
      this.processLine(line, out);
      if (c === 13) {
        if (i + 1 === text.length) this.afterCr = true;
        else if (text.charCodeAt(i + 1) === 10) i += 1;
      }
      start = i + 1;
    }
    this.line += text.slice(start);
  }

  private processLine(line: string, out: RawSseEvent[]): void {
    if (line === "") {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        this.hasField = true;
        break;
      case "data":
        this.data = this.data === undefined ? value : `${this.data}\n${value}`;
        this.hasField = true;
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        this.hasField = true;
        break;
    }
  }

  private dispatch(out: RawSseEvent[]): void {
    if (!this.hasField) return;
    this.hasField = false;
    const ev: RawSseEvent = { data: this.data ?? "" };
    if (this.id !== undefined) ev.id = this.id;
    if (this.event !== undefined) ev.event = this.event;
    this.id = this.event = this.data = undefined;
    out.push(ev);
  }
}

/**
 * The data parsed as JSON when it is valid JSON, else the text (the core's `parse_data`).
 * Typed by its name: the server sends each event's catalogue payload (`docs/streaming.md`).
 */
export function toEvent(raw: RawSseEvent): RunEvent {
  let data: unknown;
  try {
    data = JSON.parse(raw.data);
  } catch {
    data = raw.data;
  }
  const ev: SseEvent = { data };
  if (raw.id !== undefined) ev.id = raw.id;
  if (raw.event !== undefined) ev.event = raw.event;
  return ev as RunEvent;
}

/** Whether this event ends a run's stream (`docs/streaming.md`). */
export function isTerminal(raw: RawSseEvent): boolean {
  const terminal = (name: unknown) => name === "RunFinished" || name === "RunError";
  if (raw.event !== undefined) return terminal(raw.event);
  try {
    const data = JSON.parse(raw.data) as { type?: unknown } | null;
    return typeof data === "object" && data !== null && terminal(data.type);
  } catch {
    return false;
  }
}
