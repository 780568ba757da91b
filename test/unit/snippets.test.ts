import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../harness/paths';

interface Snippet {
  prefix: string;
  description: string;
  body: string[];
}

interface SnippetContribution {
  language: string;
  path: string;
}

const contributions = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { snippets: SnippetContribution[] } }
).contributes.snippets;

describe('snippets', () => {
  for (const { language, path: file } of contributions) {
    describe(`${file} (${language})`, () => {
      const snippets = JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as Record<string, Snippet>;

      it('has a prefix, a description and a body for every snippet, with unique prefixes', () => {
        const prefixes = Object.values(snippets).map((s) => s.prefix);
        assert.ok(prefixes.length > 0);
        assert.equal(new Set(prefixes).size, prefixes.length);
        for (const [name, s] of Object.entries(snippets)) {
          assert.match(s.prefix, /^[a-z][a-z0-9-]+$/, name);
          assert.ok(s.description.length > 20, `${name} needs a description`);
          assert.ok(Array.isArray(s.body) && s.body.length > 0, `${name} has no body`);
        }
      });

      it('uses well-formed placeholders and ends with the final cursor stop', () => {
        for (const [name, s] of Object.entries(snippets)) {
          const text = s.body.join('\n');
          // A PowerShell variable must be escaped (\$name); a bare $ followed by a letter is a snippet variable.
          assert.doesNotMatch(text, /(?<!\\)\$[A-Za-z_]/, `${name} has an unescaped $variable`);
          const stops = [...text.matchAll(/(?<!\\)\$\{?(\d+)/g)].map(([, n]) => Number(n));
          assert.ok(stops.includes(0), `${name} has no $0`);
        }
      });
    });
  }
});
