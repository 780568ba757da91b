import * as assert from 'node:assert/strict';
import { contributedSnippetFiles } from './snippetFiles';

describe('snippets', () => {
  for (const { file, languages, snippets } of contributedSnippetFiles()) {
    describe(`${file} (${languages.join(', ')})`, () => {
      it('has a prefix, a description and a body for every snippet, with unique prefixes', () => {
        const prefixes = snippets.map((s) => s.prefix);
        assert.ok(prefixes.length > 0);
        assert.equal(new Set(prefixes).size, prefixes.length);
        for (const s of snippets) {
          assert.match(s.prefix, /^[a-z][a-z0-9-]+$/, s.name);
          assert.ok(s.description.length > 20, `${s.name} needs a description`);
          assert.ok(Array.isArray(s.body) && s.body.length > 0, `${s.name} has no body`);
        }
      });

      it('uses well-formed placeholders and ends with the final cursor stop', () => {
        for (const s of snippets) {
          const text = s.body.join('\n');
          // A PowerShell variable must be escaped (\$name); a bare $ followed by a letter is a snippet variable.
          assert.doesNotMatch(text, /(?<!\\)\$[A-Za-z_]/, `${s.name} has an unescaped $variable`);
          const stops = [...text.matchAll(/(?<!\\)\$\{?(\d+)/g)].map(([, n]) => Number(n));
          assert.ok(stops.includes(0), `${s.name} has no $0`);
        }
      });
    });
  }

  it('prefixes are unique across the files of one language, so a prefix names one snippet', () => {
    const files = contributedSnippetFiles();
    for (const language of new Set(files.flatMap((f) => f.languages))) {
      const prefixes = files.filter((f) => f.languages.includes(language)).flatMap((f) => f.snippets.map((s) => s.prefix));
      assert.equal(new Set(prefixes).size, prefixes.length, language);
    }
  });
});
