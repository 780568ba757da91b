import * as assert from 'node:assert/strict';
import { isGuestTransportError } from '../../../extension/deploy/transport/guestTransport';
import { plainCommandLine, type RemoteShell } from '../../../extension/deploy/transport/sshCommandLine';
import { HOSTILE_NAMES } from '../../fixtures/hostileNames';
import { seededRandom } from '../seededRandom';

// The one place a guest command string is made: plain words or nothing.

const SHELLS: readonly RemoteShell[] = ['posix', 'cmd', 'powershell'];
// What sh, cmd.exe or PowerShell would read as more than a character of a word.
const MEANINGFUL = ' \t\r\n"\'`$(){}[]@#;,&|<>%^!=~*?\0\u2018\u2019\u201c\u201d';

describe('SSH: guest command lines of plain words', () => {
  it('joins plain words with single spaces, the same for every shell', () => {
    const words = ['C:/ProgramData/GpuPv/GuestRunner.exe', '-File', 'C:/ProgramData/GpuPv/calls/call-0a1b2c3d4e5f6a7b.json', '100.5', '--dry_run'];
    for (const shell of SHELLS) assert.equal(plainCommandLine(words, shell), words.join(' '));
  });

  it('allows the backslash only where it is not an escape (the Windows shells)', () => {
    const runner = ['C:\\ProgramData\\GpuPv\\GuestRunner.ps1'];
    assert.equal(plainCommandLine(runner, 'cmd'), runner[0]);
    assert.equal(plainCommandLine(runner, 'powershell'), runner[0]);
    assert.throws(() => plainCommandLine(runner, 'posix'), (error: unknown) => isGuestTransportError(error, 'unsafeArgument'));
  });

  it('refuses every hostile name as a word, for every shell, naming it and saying how to pass it instead', () => {
    for (const shell of SHELLS) {
      for (const name of HOSTILE_NAMES) {
        assert.throws(
          () => plainCommandLine(['echo', name], shell),
          (error: unknown) => isGuestTransportError(error, 'unsafeArgument') && error.message.includes(JSON.stringify(name)) && error.message.includes('as data'),
          `${shell}: ${JSON.stringify(name)}`,
        );
      }
    }
  });

  it('refuses an empty command', () => {
    assert.throws(() => plainCommandLine([], 'posix'), (error: unknown) => isGuestTransportError(error, 'unsafeArgument'));
  });

  it('fuzz: a word with any character a shell reads is refused, and what passes is only plain characters', () => {
    const random = seededRandom(0x55d);
    const alphabet = Array.from(`${MEANINGFUL}abcXYZ019_./:-\\é💥`);
    for (let round = 0; round < 5_000; round++) {
      const length = 1 + Math.floor(random() * 12);
      let word = '';
      for (let i = 0; i < length; i++) word += alphabet[Math.floor(random() * alphabet.length)]!;
      const shell = SHELLS[round % SHELLS.length]!;
      let line: string | undefined;
      try {
        line = plainCommandLine(['run', word], shell);
      } catch (error) {
        assert.ok(isGuestTransportError(error, 'unsafeArgument'), `round ${round}: ${String(error)}`);
      }
      const meaningful = Array.from(word).some((char) => MEANINGFUL.includes(char) || char.codePointAt(0)! > 0x7e || (char === '\\' && shell === 'posix'));
      assert.equal(line === undefined, meaningful, `round ${round}, ${shell}: ${JSON.stringify(word)}`);
    }
  });
});
