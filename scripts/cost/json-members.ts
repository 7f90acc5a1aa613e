/**
 * Reads the members of chosen objects of a JSON document as it streams past, without holding the
 * document: AWS's offer files run to gigabytes (EC2's), past what `JSON.parse` takes in one string.
 * Each member whose parent is at a `targets` path is parsed alone and handed to `onMember`.
 */

/** A path of keys from the root, e.g. `['terms', 'OnDemand']`; `[]` is the root object itself. */
export type JsonPath = readonly string[];

interface Frame {
  readonly isObject: boolean;
  /** The key this container has in its parent. */
  readonly key?: string;
  expectKey: boolean;
  lastKey?: string;
}

export class JsonMemberScanner {
  private readonly targets: Set<string>;
  private readonly stack: Frame[] = [];
  private inString = false;
  private escape = false;
  /** Text of the key being read (the key strings of an object). */
  private key?: { parts: string[]; start: number };
  /** Text of the member value being captured, and the stack depth it started at. */
  private capture?: { parts: string[]; start: number; depth: number; key: string; path: string; isString: boolean };

  /**
   * @param targets  paths of the objects whose members to hand over; members of the root (`[]`)
   *                 are handed over only when they are strings (`publicationDate`, `version`)
   * @param onMember called with the parent's path (keys joined by `.`), the key and the parsed value
   */
  constructor(
    targets: readonly JsonPath[],
    private readonly onMember: (path: string, key: string, value: unknown) => void,
  ) {
    this.targets = new Set(targets.map((t) => t.join('.')));
  }

  /** Feeds the next piece of the document (any split, even inside a string). */
  write(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === '\\') this.escape = true;
        else if (c === '"') {
          this.inString = false;
          if (this.key) {
            this.key.parts.push(chunk.slice(this.key.start, i + 1));
            this.stack[this.stack.length - 1].lastKey = JSON.parse(this.key.parts.join('')) as string;
            this.key = undefined;
          } else if (this.capture?.isString && this.capture.depth === this.stack.length) {
            this.endCapture(chunk, i + 1);
          }
        }
        continue;
      }
      const top = this.stack[this.stack.length - 1];
      switch (c) {
        case '"':
          this.inString = true;
          if (top?.isObject && top.expectKey) this.key = { parts: [], start: i };
          else if (top?.isObject && this.stack.length === 1 && this.targets.has('')) this.startCapture(i, true);
          break;
        case ':':
          if (top) top.expectKey = false;
          break;
        case ',':
          if (top?.isObject) top.expectKey = true;
          break;
        case '{':
        case '[':
          if (top?.isObject && this.stack.length > 1 && this.targets.has(this.pathOf(this.stack.length))) {
            this.startCapture(i, false);
          }
          this.stack.push({ isObject: c === '{', key: top?.lastKey, expectKey: c === '{' });
          break;
        case '}':
        case ']':
          this.stack.pop();
          if (this.capture && !this.capture.isString && this.capture.depth === this.stack.length) {
            this.endCapture(chunk, i + 1);
          }
          break;
        default:
          break;
      }
    }
    if (this.key) {
      this.key.parts.push(chunk.slice(this.key.start));
      this.key.start = 0;
    }
    if (this.capture) {
      this.capture.parts.push(chunk.slice(this.capture.start));
      this.capture.start = 0;
    }
  }

  /** The path of the object at stack depth `depth` (1 is the root). */
  private pathOf(depth: number): string {
    return this.stack
      .slice(1, depth)
      .map((frame) => frame.key)
      .join('.');
  }

  private startCapture(start: number, isString: boolean): void {
    if (this.capture) return;
    const depth = this.stack.length;
    this.capture = {
      parts: [],
      start,
      depth,
      key: this.stack[depth - 1].lastKey ?? '',
      path: this.pathOf(depth),
      isString,
    };
  }

  private endCapture(chunk: string, end: number): void {
    const capture = this.capture!;
    this.capture = undefined;
    capture.parts.push(chunk.slice(capture.start, end));
    this.onMember(capture.path, capture.key, JSON.parse(capture.parts.join('')));
  }
}
