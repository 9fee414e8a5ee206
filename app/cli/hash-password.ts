/**
 * `cellrig hash-password`: reads a password from stdin and prints the bcrypt hash that
 * CELLRIG_ADMIN_PASSWORD_HASH expects (the same hashing Node-RED's adminAuth checks against).
 */
import bcrypt from 'bcryptjs';

const MIN_LENGTH = 12;

export async function main(_argv: string[]): Promise<number> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length < MIN_LENGTH) {
    process.stderr.write(`cellrig hash-password: use at least ${MIN_LENGTH} characters\n`);
    return 2;
  }
  process.stdout.write(`${bcrypt.hashSync(password, 12)}\n`);
  return 0;
}
