// VS Code snippet syntax to the text it inserts when every placeholder keeps its default:
// `$1` and `$0` vanish, `${1:text}` is its text (placeholders nest), `${1|a,b|}` its first
// choice, `$NAME` / `${NAME}` / `${NAME:default}` a variable's value from `variables` (else its
// default, else nothing), and `\$`, `\}`, `\\` the characters themselves. Used to preview a
// generated command and to check that snippet bodies compile. Pure.

export function snippetDefaults(snippet: string, variables: Readonly<Record<string, string>> = {}): string {
  let at = 0;
  const parse = (closing: boolean): string => {
    let text = '';
    while (at < snippet.length) {
      const c = snippet[at]!;
      if (c === '\\' && at + 1 < snippet.length && '$}\\,|'.includes(snippet[at + 1]!)) {
        text += snippet[at + 1]!;
        at += 2;
      } else if (closing && c === '}') {
        at++;
        return text;
      } else if (c === '$') {
        text += dollar();
      } else {
        text += c;
        at++;
      }
    }
    return text;
  };
  const dollar = (): string => {
    const rest = snippet.slice(at + 1);
    const simple = /^(\d+|[A-Za-z_]\w*)/.exec(rest);
    if (simple) {
      at += 1 + simple[1]!.length;
      return /^\d/.test(simple[1]!) ? '' : (variables[simple[1]!] ?? '');
    }
    const opened = /^\{(\d+|[A-Za-z_]\w*)([:|}])?/.exec(rest);
    if (!opened) {
      at++;
      return '$';
    }
    const [whole, name, sign] = opened as unknown as [string, string, string | undefined];
    at += 1 + whole.length;
    if (sign === '}') return /^\d/.test(name) ? '' : (variables[name] ?? '');
    if (sign === '|') {
      const end = snippet.indexOf('|}', at);
      const choices = snippet.slice(at, end < 0 ? snippet.length : end);
      at = end < 0 ? snippet.length : end + 2;
      return choices.split(/(?<!\\),/)[0]!.replace(/\\(.)/g, '$1');
    }
    const inner = parse(true);
    return /^\d/.test(name) ? inner : (variables[name] ?? inner);
  };
  return parse(false);
}
