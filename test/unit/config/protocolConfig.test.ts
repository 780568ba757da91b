import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseJsonc, positionAt } from '../../../extension/protocol/config/jsonc';
import {
  parseProtocolConfig,
  PROTOCOL_SETTINGS,
  resolveProtocolConfig,
  type ConfigProblem,
  type ParsedConfig,
} from '../../../extension/protocol/config/protocolConfigParser';
import { ABI_NAMES } from '../../../extension/protocol/abi';
import { repoRoot } from '../../harness/paths';

/** The problems as `line:column severity message`, 1-based like the Problems view. */
function located(text: string, parsed: ParsedConfig): string[] {
  return parsed.problems.map((p: ConfigProblem) => {
    const { line, character } = positionAt(text, p.offset);
    return `${line + 1}:${character + 1} ${p.severity} ${p.message}`;
  });
}

function spanText(text: string, problem: ConfigProblem | undefined): string {
  assert.ok(problem, 'expected a problem');
  return text.slice(problem.offset, problem.offset + problem.length);
}

describe('gpupv.json: the JSON-with-comments reader', () => {
  it('reads comments and trailing commas, keeping where every key and value is', () => {
    const text = '// header\n{\n  /* a */ "a": [1, "x", true, null,],\n  "b": { "c": -2.5e3, },\n}\n';
    const result = parseJsonc(text);
    assert.ok(result.value?.kind === 'object');
    const [a, b] = result.value.properties;
    assert.equal(a?.key, 'a');
    assert.equal(text.slice(a.keySpan.offset, a.keySpan.offset + a.keySpan.length), '"a"');
    assert.ok(a.value.kind === 'array');
    assert.deepEqual(
      a.value.items.map((i) => i.kind),
      ['number', 'string', 'boolean', 'null'],
    );
    assert.ok(b?.value.kind === 'object');
    const c = b.value.properties[0]!.value;
    assert.ok(c.kind === 'number');
    assert.equal(c.value, -2500);
    assert.equal(text.slice(c.offset, c.offset + c.length), '-2.5e3');
  });

  it('reports the first syntax error where it is', () => {
    for (const [text, at, message] of [
      ['{ "a": 1 "b": 2 }', 9, /expected , or \}/],
      ['{ a: 1 }', 2, /property name in double quotes/],
      ['{ "a": [1, 2 }', 13, /expected , or \]/],
      ['{ "a": "x\n" }', 7, /unterminated string/],
      ['{ "a": 01 }', 8, /expected , or \}/],
      ['{ /* open', 2, /unterminated \/\* comment/],
      ['', 0, /empty/],
      ['{} {}', 3, /after the end/],
      ['{ "a": tru }', 7, /expected a value/],
    ] as const) {
      const result = parseJsonc(text);
      assert.ok(result.error, `no error for ${JSON.stringify(text)}`);
      assert.equal(result.error.offset, at, `${JSON.stringify(text)}: ${result.error.message}`);
      assert.match(result.error.message, message);
    }
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    const result = parseJsonc('['.repeat(100_000));
    assert.match(result.error?.message ?? '', /nested deeper/);
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const result = parseJsonc('{ "__proto__": { "polluted": true } }');
    assert.equal(result.value?.kind === 'object' && result.value.properties[0]?.key, '__proto__');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('gpupv.json: the protocol section', () => {
  it('reads a complete configuration', () => {
    const text = `{
      "$schema": "./gpupv.schema.json",
      // the guest driver's view, compared with the Linux host's
      "protocol": {
        "headers": ["include/pvgpu_protocol.h", "include/extra.h"],
        "includeDirs": ["include", "/opt/wdk/inc"],
        "defines": { "PVGPU_DEBUG": 1, "BIG": 18446744073709551615, "NAME": "\\"pv\\"", "FLAG": null },
        "abi": "msvc-arm64",
        "compareAbi": "sysv-aarch64",
      },
    }`;
    const parsed = parseProtocolConfig(text);
    assert.deepEqual(parsed.problems, []);
    const protocol = parsed.protocol!;
    assert.deepEqual(
      protocol.headers.map((h) => h.value),
      ['include/pvgpu_protocol.h', 'include/extra.h'],
    );
    assert.equal(text.slice(protocol.headers[1]!.offset, protocol.headers[1]!.offset + protocol.headers[1]!.length), '"include/extra.h"');
    // Numbers keep their digits as written; null defines without a value.
    assert.deepEqual(protocol.defines, { PVGPU_DEBUG: '1', BIG: '18446744073709551615', NAME: '"pv"', FLAG: undefined });
    assert.equal(protocol.abi, 'msvc-arm64');
    assert.equal(protocol.compareAbi, 'sysv-aarch64');

    const resolved = resolveProtocolConfig(protocol, '/work/driver');
    assert.deepEqual(
      resolved.headers.map((h) => h.path),
      [path.resolve('/work/driver/include/pvgpu_protocol.h'), path.resolve('/work/driver/include/extra.h')],
    );
    assert.deepEqual(resolved.includeDirs, [path.resolve('/work/driver/include'), path.resolve('/opt/wdk/inc')]);
  });

  it('defaults to msvc-x64 and compares nothing unless asked', () => {
    const parsed = parseProtocolConfig('{ "protocol": { "headers": ["p.h"] } }');
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.protocol?.abi, 'msvc-x64');
    assert.equal(parsed.protocol.compareAbi, undefined);
    assert.deepEqual(parsed.protocol.includeDirs, []);
    assert.deepEqual(parsed.protocol.defines, {});
  });

  it('puts each mistake at the property that causes it and keeps the rest', () => {
    const text = [
      '{',
      '  "protocol": {',
      '    "headers": ["ok.h", 3, "", "ok.h"],',
      '    "includeDirs": "include",',
      '    "defines": { "1BAD": 1, "GOOD": 2, "FLAG": true },',
      '    "abi": "msvc-x86",',
      '    "compareAbi": 64,',
      '    "comand": {}',
      '  },',
      '  "protocl": {}',
      '}',
    ].join('\n');
    const parsed = parseProtocolConfig(text);
    assert.deepEqual(located(text, parsed), [
      '3:25 error each entry of "protocol.headers" must be a path (a non-empty string)',
      '3:28 error each entry of "protocol.headers" must be a path (a non-empty string)',
      '3:32 warning "ok.h" is listed twice in "protocol.headers"',
      '4:20 error "protocol.includeDirs" must be an array of paths relative to the workspace folder',
      '5:18 error "1BAD" is not a C macro name',
      '5:48 error "protocol.defines.FLAG" must be a string, a number, or null (defined as 1, like -DFLAG)',
      '6:12 error "protocol.abi" is "msvc-x86", not an ABI; use one of msvc-x64, msvc-arm64, sysv-x86_64, sysv-aarch64',
      '7:19 error "protocol.compareAbi" is a number, not an ABI; use one of msvc-x64, msvc-arm64, sysv-x86_64, sysv-aarch64',
      `8:5 warning "protocol.comand" is not a known setting (ignored); known: ${PROTOCOL_SETTINGS.join(', ')}`,
      '10:3 warning unknown property "protocl" (ignored); gpupv.json holds "protocol", "live", "driver" and "$schema"',
    ]);
    assert.equal(spanText(text, parsed.problems[6]), '"msvc-x86"');
    // What was valid is still used.
    assert.deepEqual(
      parsed.protocol?.headers.map((h) => h.value),
      ['ok.h'],
    );
    assert.deepEqual(parsed.protocol.defines, { GOOD: '2' });
    assert.equal(parsed.protocol.abi, 'msvc-x64');
    assert.equal(parsed.protocol.compareAbi, undefined);
  });

  it('reads Rust mirrors as paths or objects, resolving their header and ABI, and points at a bad entry', () => {
    const text = JSON.stringify({
      protocol: {
        headers: ['include/a.h', 'include/b.h'],
        compareAbi: 'sysv-x86_64',
        mirrors: ['host/a.rs', { path: 'host/b.rs', header: 'include/b.h', abi: 'msvc-x64' }, { path: 'host/c.rs', header: 'include/none.h' }, { header: 'include/a.h' }, 7, { path: 'host/d.rs', colour: 'red' }],
      },
    }, null, 2);
    const parsed = parseProtocolConfig(text);
    const resolved = resolveProtocolConfig(parsed.protocol!, '/ws');
    assert.deepEqual(
      resolved.mirrors.map((m) => [m.path, m.header, m.abi]),
      [
        ['/ws/host/a.rs', '/ws/include/a.h', 'sysv-x86_64'],
        ['/ws/host/b.rs', '/ws/include/b.h', 'msvc-x64'],
        ['/ws/host/d.rs', '/ws/include/a.h', 'sysv-x86_64'],
      ],
    );
    const messages = located(text, parsed).map((m) => m.replace(/^\d+:\d+ /, ''));
    assert.deepEqual(messages, [
      'error a "protocol.mirrors" entry needs "path": the Rust file, relative to the workspace folder',
      'error each entry of "protocol.mirrors" must be a path or { "path": "host/src/protocol.rs" }',
      'warning "colour" is not a setting of a mirror (ignored); known: path, header, abi',
      'warning "include/none.h" is not one of "protocol.headers", so host/c.rs is not checked: name one of them',
    ]);
    assert.equal(spanText(text, parsed.problems.at(-1)), '"host/c.rs"');
  });

  it('says when nothing would be analysed or compared', () => {
    const noProtocol = parseProtocolConfig('{ "$schema": "x" }');
    assert.equal(noProtocol.protocol, undefined);
    assert.match(noProtocol.problems[0]?.message ?? '', /no "protocol" section/);

    const noHeaders = parseProtocolConfig('{ "protocol": { "abi": "sysv-x86_64" } }');
    assert.deepEqual(noHeaders.protocol?.headers, []);
    assert.equal(noHeaders.problems[0]?.severity, 'warning');
    assert.match(noHeaders.problems[0].message, /lists no header/);

    const text = '{ "protocol": { "headers": ["p.h"], "abi": "sysv-x86_64", "compareAbi": "sysv-x86_64" } }';
    const sameAbi = parseProtocolConfig(text);
    assert.equal(sameAbi.protocol?.compareAbi, undefined);
    assert.match(sameAbi.problems[0]?.message ?? '', /same ABI/);
    assert.equal(spanText(text, sameAbi.problems[0]), '"sysv-x86_64"');
    assert.equal(sameAbi.problems[0]?.offset, text.lastIndexOf('"sysv-x86_64"'));
  });

  it('turns a file that is not a JSON object into one error and no configuration', () => {
    for (const text of ['', '[]', '"protocol"', '{ "protocol": [] }', '{ "protocol": { "headers": [ }', 'null']) {
      const parsed = parseProtocolConfig(text);
      assert.equal(parsed.protocol, undefined, text);
      assert.equal(parsed.problems.filter((p) => p.severity === 'error').length, 1, `${text}: ${JSON.stringify(parsed.problems)}`);
    }
    const broken = parseProtocolConfig('{\n  "protocol": {\n    "headers": ["a.h"]\n    "abi": "msvc-x64"\n  }\n}');
    assert.deepEqual(located('{\n  "protocol": {\n    "headers": ["a.h"]\n    "abi": "msvc-x64"\n  }\n}', broken), [
      '4:5 error gpupv.json is not valid JSON: expected , or } after a property',
    ]);
  });

  it('never throws, whatever the file holds', () => {
    const pieces = ['{', '}', '[', ']', '"protocol"', '"headers"', ':', ',', '"a.h"', '1', 'null', '/*', '*/', '//', '\n', '"abi"', '"defines"', 'true', '"\\u00', '-'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 2_000; round++) {
      const text = Array.from({ length: next() % 40 }, () => pieces[next() % pieces.length]).join(' ');
      const parsed = parseProtocolConfig(text);
      for (const p of parsed.problems) assert.ok(p.offset >= 0 && p.offset + p.length <= text.length, `${text}: ${p.message}`);
    }
  });
});

describe('gpupv.json: the contributed schema', () => {
  interface Schema {
    properties: { protocol: { properties: Record<string, unknown>; additionalProperties: boolean } };
    definitions: { abi: { enum: string[]; enumDescriptions: string[] } };
  }
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'extension', 'protocol', 'config', 'gpupv.schema.json'), 'utf8')) as Schema;

  it('lists exactly the settings the reader knows, and closes protocol to typos', () => {
    assert.deepEqual(Object.keys(schema.properties.protocol.properties), [...PROTOCOL_SETTINGS]);
    assert.equal(schema.properties.protocol.additionalProperties, false);
  });

  it('offers exactly the engine\u2019s ABIs, each described', () => {
    assert.deepEqual(schema.definitions.abi.enum, [...ABI_NAMES]);
    assert.equal(schema.definitions.abi.enumDescriptions.length, ABI_NAMES.length);
  });

  it('is contributed for gpupv.json from dist/ (where the build copies it) and shipped in the VSIX', () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      contributes: { jsonValidation?: { fileMatch: string; url: string }[] };
    };
    assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: 'gpupv.json', url: './dist/gpupv.schema.json' }]);
    assert.deepEqual(readFileSync(path.join(repoRoot, 'dist', 'gpupv.schema.json'), 'utf8'), readFileSync(path.join(repoRoot, 'extension', 'protocol', 'config', 'gpupv.schema.json'), 'utf8'));
    const ignore = readFileSync(path.join(repoRoot, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!dist/gpupv.schema.json'), '.vscodeignore leaves the schema out of the VSIX');
  });

  it('accepts the demo workspace\u2019s gpupv.json without a problem', () => {
    const parsed = parseProtocolConfig(readFileSync(path.join(repoRoot, 'demo', 'gpupv.json'), 'utf8'));
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.protocol?.compareAbi, 'sysv-x86_64');
    assert.deepEqual(parsed.driver!.packages.map((p) => p.name), ['pvsample']);
    assert.deepEqual(parsed.driver!.target, { kind: 'vm', vmId: '3f8a2c4e-9b1d-4e7a-8c2f-5d6e7a8b9c01' });
  });
});
