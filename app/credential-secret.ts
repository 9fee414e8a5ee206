/**
 * The key Node-RED encrypts the flows' credentials file (flows_cred.json) with. Left to itself, Node-RED
 * makes one up, keeps it in .config.runtime.json beside the flows and warns at every start that it did.
 * cellrig decides instead: CELLRIG_CREDENTIAL_SECRET when set, else a key of its own, generated once into
 * CELLRIG_DATA/credential-secret (0600) and read from there at every later start.
 *
 * The credentials file is kept in the format Node-RED reads (its runtime/lib/nodes/credentials.js:
 * AES-256-CTR, key the SHA-256 of the secret, `{"$": iv hex + base64}`) in two cases Node-RED leaves
 * to a later deploy, warning "Encrypted credentials not found" at every start until then: a folder an
 * older cellrig ran (Node-RED's own key in .config.runtime.json: re-encrypted with ours and that key
 * deleted, so no secret is left beside the flows in a file another program may read), and a fresh folder
 * (an empty credentials file).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StartError } from './preflight';

export const CREDENTIAL_SECRET_FILE = 'credential-secret';
/** The shortest key accepted, from the environment or the file (the generated one has 64 characters). */
export const MIN_SECRET_LENGTH = 16;

const secretSchema = z
  .string()
  .trim()
  .min(MIN_SECRET_LENGTH, `at least ${MIN_SECRET_LENGTH} characters`)
  .regex(/^\S+$/, 'one word, no spaces');

/** The credential key and where it came from; a bad file is a StartError naming it. */
export function credentialSecret(
  fromEnv: string | undefined,
  dataDir: string,
): { secret: string; source: 'env' | 'file' | 'generated' } {
  if (fromEnv !== undefined) return { secret: fromEnv, source: 'env' };
  const file = join(dataDir, CREDENTIAL_SECRET_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new StartError(
        `CELLRIG_DATA ${file}: cannot read the credential key (${(err as Error).message})`,
      );
    const secret = randomBytes(32).toString('hex');
    try {
      // 'wx': never over a key another start wrote meanwhile; 0600 whatever the umask.
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw new StartError(`CELLRIG_DATA ${file}: cannot write the credential key (${(e as Error).message})`);
    }
    return { secret, source: 'generated' };
  }
  const parsed = secretSchema.safeParse(text);
  if (!parsed.success)
    throw new StartError(
      `CELLRIG_DATA ${file}: not a credential key (${parsed.error.issues[0]?.message}); ` +
        'restore it from a backup, or set CELLRIG_CREDENTIAL_SECRET',
      'CELLRIG_CREDENTIAL_SECRET',
    );
  return { secret: parsed.data, source: 'file' };
}

/**
 * Readies `flows_cred.json` in `dataDir` for `secret`: re-encrypted from the key Node-RED generated
 * (then deleted from .config.runtime.json), or created empty; left alone when already ours.
 */
export function prepareCredentialsFile(dataDir: string, secret: string): void {
  const file = join(dataDir, 'flows_cred.json');
  const runtimeFile = join(dataDir, '.config.runtime.json');
  try {
    const runtime = existsSync(runtimeFile)
      ? (JSON.parse(readFileSync(runtimeFile, 'utf8')) as Record<string, unknown>)
      : {};
    const oldKey = runtime._credentialSecret;
    if (!existsSync(file)) writeOwnerOnly(file, seal(secret, {}));
    else if (typeof oldKey === 'string') {
      const sealed = (JSON.parse(readFileSync(file, 'utf8')) as { $?: unknown }).$;
      // Plain credentials (credentialSecret false once) Node-RED encrypts itself at the next deploy.
      if (typeof sealed === 'string' && unseal(secret, sealed) === undefined) {
        const creds = unseal(oldKey, sealed);
        if (creds === undefined)
          throw new Error(
            `encrypted with neither the key in .config.runtime.json nor ${CREDENTIAL_SECRET_FILE}`,
          );
        writeOwnerOnly(file, seal(secret, creds));
      }
    }
    if (typeof oldKey === 'string') {
      delete runtime._credentialSecret;
      writeOwnerOnly(runtimeFile, JSON.stringify(runtime, null, 4));
    }
  } catch (err) {
    throw new StartError(
      `CELLRIG_DATA ${file}: cannot ready the credentials file (${(err as Error).message})`,
      'CELLRIG_DATA',
    );
  }
}

function seal(secret: string, creds: unknown): string {
  const key = createHash('sha256').update(secret).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const text =
    iv.toString('hex') + cipher.update(JSON.stringify(creds), 'utf8', 'base64') + cipher.final('base64');
  return JSON.stringify({ $: text });
}

/** The credentials, or undefined when `secret` is not their key (CTR has no check: the JSON is one). */
function unseal(secret: string, sealed: string): unknown {
  const key = createHash('sha256').update(secret).digest();
  try {
    const decipher = createDecipheriv('aes-256-ctr', key, Buffer.from(sealed.slice(0, 32), 'hex'));
    const creds: unknown = JSON.parse(
      decipher.update(sealed.slice(32), 'base64', 'utf8') + decipher.final('utf8'),
    );
    return creds !== null && typeof creds === 'object' ? creds : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces `file` whole (a crash leaves the old one or the new one), 0600. */
function writeOwnerOnly(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${text}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
