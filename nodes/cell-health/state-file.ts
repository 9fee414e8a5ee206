/**
 * Where a node keeps state that must survive a restart (a cell's history, latched alerts): a JSON file
 * under Node-RED's user directory, written atomically. Without a user directory (tests), nothing is kept.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAPI } from 'node-red';

export type StateFile = { load(): unknown; save(state: unknown): void; readonly path: string | null };

export function stateFile(RED: NodeAPI, name: string, onError: (message: string) => void): StateFile {
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;
  const path = userDir
    ? join(userDir, 'cellrig-state', `${name.replace(/[^A-Za-z0-9_-]/g, '_')}.json`)
    : null;
  return {
    path,
    load() {
      if (!path) return undefined;
      try {
        return JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          onError(`${path}: ${(e as Error).message}; starting afresh`);
        return undefined;
      }
    },
    save(state) {
      if (!path) return;
      try {
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(`${path}.tmp`, JSON.stringify(state));
        renameSync(`${path}.tmp`, path);
      } catch (e) {
        onError(`${path}: ${(e as Error).message}`);
      }
    },
  };
}
