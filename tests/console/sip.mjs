// A phone's REGISTER over UDP, for the journeys that watch a phone come
// online in the console.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

// register sends a REGISTER with digest authentication (RFC 3261, qop=auth)
// from a UDP socket on loopback to the registrar at addr, as a phone would, and resolves with the
// final status code. Expires 0 removes the phone's registrations. With
// stay, the phone keeps its socket and answers OPTIONS (a connection
// check) until the returned close is called: it resolves with
// { status, close } then.
export async function register({ addr, user, password, domain, expires, stay }) {
  let kept = false;
  const host = addr.slice(0, addr.lastIndexOf(':'));
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const local = `127.0.0.1:${sock.address().port}`;
  const rand = () => randomBytes(8).toString('hex');
  const callId = `${rand()}@127.0.0.1`;
  const tag = rand();
  const uri = `sip:${domain}`;
  const send = (cseq, auth) =>
    new Promise((resolve, reject) => {
      const msg = [
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${rand()};rport`,
        'Max-Forwards: 70',
        `From: <sip:${user}@${domain}>;tag=${tag}`,
        `To: <sip:${user}@${domain}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} REGISTER`,
        // Unregistering removes every binding: the socket (and so the
        // contact) differs from the one that registered.
        expires === 0 ? 'Contact: *' : `Contact: <sip:${user}@${local};transport=udp>`,
        `Expires: ${expires}`,
        'User-Agent: Switchboard console journey',
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const timer = setTimeout(() => reject(new Error('no answer to REGISTER')), 5000);
      sock.once('message', (buf) => {
        clearTimeout(timer);
        resolve(buf.toString());
      });
      sock.send(msg, port, host);
    });
  try {
    let res = await send(1);
    if (/^SIP\/2\.0 401/.test(res)) {
      const challenges = [...res.matchAll(/^WWW-Authenticate:\s*Digest\s+(.*)$/gim)].map((m) => m[1]);
      const params = (c) => Object.fromEntries([...c.matchAll(/(\w+)=("([^"]*)"|[^,\s]+)/g)].map((m) => [m[1].toLowerCase(), m[3] ?? m[2]]));
      const ch = challenges.map(params).find((p) => !p.algorithm || p.algorithm.toUpperCase() === 'MD5');
      assert.ok(ch, `an MD5 challenge in:\n${res}`);
      const md5 = (x) => createHash('md5').update(x).digest('hex');
      const cnonce = rand();
      const nc = '00000001';
      const response = md5(`${md5(`${user}:${ch.realm}:${password}`)}:${ch.nonce}:${nc}:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`);
      const auth = `Digest username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=${nc}` + (ch.opaque ? `, opaque="${ch.opaque}"` : '');
      res = await send(2, auth);
    }
    const status = Number(/^SIP\/2\.0 (\d{3})/.exec(res)?.[1]);
    if (stay) {
      sock.on('message', (buf, from) => {
        const req = buf.toString();
        if (!req.startsWith('OPTIONS ')) return;
        const keep = req.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
        const ok = ['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n');
        sock.send(ok, from.port, from.address);
      });
      kept = true; // the socket now belongs to the caller
      return { status, close: () => sock.close() };
    }
    return status;
  } finally {
    if (!kept) sock.close();
  }
}
