// The local stack's outbox: e-mails written as .eml files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// welcomeLink reads the set-password link of the welcome e-mail to address
// from the outbox folder of the local stack whose data folder is data.
export function welcomeLink(data, address) {
  const dir = join(data, 'outbox');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml'))) {
    const raw = readFileSync(join(dir, name), 'utf8');
    const [head, ...rest] = raw.split(/\r?\n\r?\n/);
    if (!new RegExp(`^To:.*<${address.replace(/[.+]/g, '\\$&')}>`, 'mi').test(head)) continue;
    let body = rest.join('\n\n');
    if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(head)) {
      body = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    }
    const m = /(https?:\/\/\S+#\/setup\?token=[A-Za-z0-9_-]+)/.exec(body);
    if (m) return m[1];
  }
  throw new Error(`no welcome e-mail to ${address} in ${dir}`);
}
