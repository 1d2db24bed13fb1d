import { promises as fs } from 'fs';

/**
 * Reads the SASL/PLAIN users file: either a JSON object `{ "user": "password", … }` or lines of
 * `user:password` (blank lines and `#` comments ignored). Passwords never reach the logs.
 */
export async function loadSaslUsers(file: string): Promise<Map<string, string>> {
  const text = await fs.readFile(file, 'utf8');
  const users = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    for (const [user, password] of Object.entries(parsed)) {
      if (typeof password !== 'string')
        throw new Error(`SASL users file ${file}: the password of "${user}" must be a string`);
      users.set(user, password);
    }
  } else {
    for (const [i, line] of text.split('\n').entries()) {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) continue;
      const colon = l.indexOf(':');
      if (colon <= 0) throw new Error(`SASL users file ${file}, line ${i + 1}: expected user:password`);
      users.set(l.slice(0, colon), l.slice(colon + 1));
    }
  }
  if (users.size === 0) throw new Error(`SASL users file ${file} defines no users`);
  return users;
}
