// A small JSON-with-comments reader for gpupv.json: `//` and `/* */` comments and trailing
// commas are allowed, as in VS Code's own settings files. It keeps the offset of every
// value and key, so a problem can be shown at the property that causes it. Pure: no
// `vscode` import.

interface Span {
  /** Offset of the first character in the text. */
  readonly offset: number;
  readonly length: number;
}

export type JsonValue =
  | (Span & { readonly kind: 'object'; readonly properties: readonly JsonProperty[] })
  | (Span & { readonly kind: 'array'; readonly items: readonly JsonValue[] })
  | (Span & { readonly kind: 'string'; readonly value: string })
  | (Span & { readonly kind: 'number'; readonly value: number })
  | (Span & { readonly kind: 'boolean'; readonly value: boolean })
  | (Span & { readonly kind: 'null' });

export interface JsonProperty {
  readonly key: string;
  /** Where the key is, quotes included. */
  readonly keySpan: Span;
  readonly value: JsonValue;
}

export interface JsonSyntaxError extends Span {
  readonly message: string;
}

export type JsoncResult = { readonly value: JsonValue; readonly error?: undefined } | { readonly value?: undefined; readonly error: JsonSyntaxError };

/** Deeper nesting than this is not a configuration file; refusing it keeps the stack safe. */
const MAX_DEPTH = 64;

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly length: number,
  ) {
    super(message);
  }
}

export function parseJsonc(text: string): JsoncResult {
  const reader = new JsoncReader(text);
  try {
    const value = reader.readDocument();
    return { value };
  } catch (error) {
    if (!(error instanceof SyntaxProblem)) throw error;
    return { error: { message: error.message, offset: error.offset, length: error.length } };
  }
}

/** 0-based line and character of an offset, the way editors count them. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: clamped - lineStart };
}

class JsoncReader {
  private at = 0;

  constructor(private readonly text: string) {}

  readDocument(): JsonValue {
    this.skipTrivia();
    if (this.at >= this.text.length) throw new SyntaxProblem('the file is empty; expected a JSON object', 0, 0);
    const value = this.readValue(0);
    this.skipTrivia();
    if (this.at < this.text.length) this.fail('unexpected text after the end of the JSON value');
    return value;
  }

  private readValue(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const c = this.text[this.at];
    if (c === '{') return this.readObject(depth);
    if (c === '[') return this.readArray(depth);
    if (c === '"') return this.readString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.readNumber();
    for (const [word, make] of LITERALS) {
      if (this.text.startsWith(word, this.at) && !/[\w$]/.test(this.text[this.at + word.length] ?? '')) {
        const offset = this.at;
        this.at += word.length;
        return { ...make(), offset, length: word.length };
      }
    }
    return this.fail(c === undefined ? 'unexpected end of file; expected a value' : 'expected a value (string, number, object, array, true, false or null)');
  }

  private readObject(depth: number): JsonValue {
    const offset = this.at++;
    const properties: JsonProperty[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.text[this.at] === '}') break;
      if (this.text[this.at] !== '"') this.fail(properties.length ? 'expected a property name in double quotes, or }' : 'expected a property name in double quotes');
      const key = this.readString();
      this.skipTrivia();
      if (this.text[this.at] !== ':') this.fail('expected : after the property name');
      this.at++;
      this.skipTrivia();
      properties.push({ key: key.value, keySpan: { offset: key.offset, length: key.length }, value: this.readValue(depth + 1) });
      this.skipTrivia();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] !== '}') this.fail('expected , or } after a property');
    }
    this.at++;
    return { kind: 'object', properties, offset, length: this.at - offset };
  }

  private readArray(depth: number): JsonValue {
    const offset = this.at++;
    const items: JsonValue[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.text[this.at] === ']') break;
      items.push(this.readValue(depth + 1));
      this.skipTrivia();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      if (this.text[this.at] !== ']') this.fail('expected , or ] after an array element');
    }
    this.at++;
    return { kind: 'array', items, offset, length: this.at - offset };
  }

  private readString(): JsonValue & { kind: 'string' } {
    const offset = this.at;
    STRING.lastIndex = offset;
    const match = STRING.exec(this.text);
    if (!match) {
      const end = this.text.indexOf('\n', offset);
      throw new SyntaxProblem('unterminated string or invalid escape', offset, (end < 0 ? this.text.length : end) - offset);
    }
    this.at += match[0].length;
    return { kind: 'string', value: JSON.parse(match[0]) as string, offset, length: match[0].length };
  }

  private readNumber(): JsonValue {
    const offset = this.at;
    NUMBER.lastIndex = offset;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('invalid number');
    this.at += match[0].length;
    return { kind: 'number', value: Number(match[0]), offset, length: match[0].length };
  }

  private skipTrivia(): void {
    for (;;) {
      const c = this.text[this.at];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff') {
        this.at++;
      } else if (this.text.startsWith('//', this.at)) {
        const end = this.text.indexOf('\n', this.at);
        this.at = end < 0 ? this.text.length : end + 1;
      } else if (this.text.startsWith('/*', this.at)) {
        const end = this.text.indexOf('*/', this.at + 2);
        if (end < 0) throw new SyntaxProblem('unterminated /* comment', this.at, 2);
        this.at = end + 2;
      } else {
        return;
      }
    }
  }

  private fail(message: string): never {
    throw new SyntaxProblem(message, this.at, this.at < this.text.length ? 1 : 0);
  }
}

// Sticky (`y`): they match exactly at lastIndex, without slicing the text.
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters inside strings
const STRING = /"(?:[^"\\\u0000-\u001f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const LITERALS: readonly (readonly [string, () => { kind: 'boolean'; value: boolean } | { kind: 'null' }])[] = [
  ['true', () => ({ kind: 'boolean', value: true })],
  ['false', () => ({ kind: 'boolean', value: false })],
  ['null', () => ({ kind: 'null' })],
];
