import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * The absolute path of an executable, found the way the OS would: a name with a directory
 * part is taken as given; a bare name is looked up on PATH (with PATHEXT on Windows).
 * Returns undefined when there is none. Starting a process that cannot exist is what makes
 * node-powershell's dispose() signal our own process, so we never start one blind.
 */
export async function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  const extensions = platform === 'win32' ? windowsExtensions(command, env) : [''];
  if (command.includes('/') || (platform === 'win32' && command.includes('\\'))) {
    return firstExecutable(extensions.map((ext) => command + ext), platform);
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(pathApi.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const found = await firstExecutable(
      extensions.map((ext) => pathApi.join(dir, command + ext)),
      platform,
    );
    if (found) return found;
  }
  return undefined;
}

function windowsExtensions(command: string, env: NodeJS.ProcessEnv): string[] {
  if (path.win32.extname(command)) return [''];
  const pathExt = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  return ['', ...pathExt.map((ext) => ext.toLowerCase())];
}

async function firstExecutable(candidates: readonly string[], platform: NodeJS.Platform): Promise<string | undefined> {
  for (const candidate of candidates) {
    try {
      if (!(await stat(candidate)).isFile()) continue;
      // Windows has no execute bit; elsewhere a file we may not execute would fail at spawn.
      if (platform !== 'win32') await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: try the next.
    }
  }
  return undefined;
}
