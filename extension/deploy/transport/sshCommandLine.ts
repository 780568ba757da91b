import { GuestTransportError } from './guestTransport';

// SSH carries a command as one string, which the server hands to the user's shell: sh on
// Linux, cmd.exe or PowerShell (the DefaultShell setting) on Windows. Quoting a value
// correctly for three shells, each with its own escapes and expansions, is where injection
// bugs live. So we never quote: a command line is made of plain words only, characters no
// one of these shells gives a meaning to, and anything else is refused before it is sent.
// Data (names, paths with spaces, test selections) travels as data instead: in a
// parameters file or on stdin.

/** The shell the guest's SSH server runs commands with. */
export type RemoteShell = 'posix' | 'cmd' | 'powershell';

// Not in the common set, each for a shell that reads it: space and tab (word breaks), quotes,
// $ ` ( ) { } [ ] @ # ; , & | < > (PowerShell and sh), % ^ ! = (cmd), ~ * ? (sh expansion).
const COMMON_WORD = /^[A-Za-z0-9_./:-]+$/;
// sh reads the backslash as an escape, so it is only plain for the Windows shells.
const WINDOWS_WORD = /^[A-Za-z0-9_./:\\-]+$/;

/** The command string for `words`, or `unsafeArgument` naming the first word that is not plain. */
export function plainCommandLine(words: readonly string[], shell: RemoteShell): string {
  if (words.length === 0) throw new GuestTransportError('unsafeArgument', 'No command was given to run in the guest.');
  const plain = shell === 'posix' ? COMMON_WORD : WINDOWS_WORD;
  for (const word of words) {
    if (!plain.test(word)) {
      throw new GuestTransportError(
        'unsafeArgument',
        `${JSON.stringify(word)} cannot be part of a command line in the guest: only letters, digits and _ . / : -${shell === 'posix' ? '' : ' \\'} may appear there. Pass the value as data (a parameters file or stdin) instead.`,
      );
    }
  }
  return words.join(' ');
}
