/**
 * A scripted IMAP server (implicit TLS on 127.0.0.1) that behaves until the moment it is meant to turn hostile:
 *  greeting-literal  the greeting announces a 1 GB literal and streams it as fast as the client reads
 *  endless-line      LOGIN is answered with a line that never ends (streamed as fast as the client reads)
 *  fetch-literal     one message in INBOX; any FETCH is answered with a 1.9 GB literal, streamed
 *  drip-literal      like fetch-literal, but one byte every 50 ms (the socket never goes quiet)
 *  silent-select     logs in, then never answers SELECT/EXAMINE
 *  many-tokens       LOGIN is answered with an endless untagged line of tiny tokens "* OK (a a a a …"
 *  drop-in-idle      well-behaved (empty INBOX, IDLE) but drops every connection `dropAfterMs` into IDLE
 *  cut-download      one mail (opts.mail) in INBOX; a partial body FETCH (the watcher's prefetch) gets an empty
 *                    body, and the first full download is cut off mid-literal (the connection dies); later ones work
 * `logins()` counts LOGIN commands; `connections()` accepted connections; `downloads()` full-body FETCHes.
 */
import type * as net from 'node:net';
import type { FakeServer } from './fakeTcp';
import { startFakeServer } from './fakeTcp';
import type { TestCert } from './tls';

export type HostileMode =
  | 'greeting-literal'
  | 'endless-line'
  | 'fetch-literal'
  | 'drip-literal'
  | 'silent-select'
  | 'many-tokens'
  | 'drop-in-idle'
  | 'cut-download';

export interface HostileImap extends FakeServer {
  logins(): number;
  connections(): number;
  downloads(): number;
}

function imapString(s: string | undefined): string {
  return s === undefined ? 'NIL' : `"${s.replace(/["\\]/g, '')}"`;
}

/** Writes `chunk` forever, honouring backpressure (so the server side does not buffer), until the socket closes. */
function flood(s: net.Socket, chunk: Buffer): void {
  let open = true;
  s.on('close', () => (open = false));
  const pump = () => {
    while (open && s.write(chunk));
    if (open) s.once('drain', pump);
  };
  pump();
}

function drip(s: net.Socket, byte: string, everyMs: number): void {
  const t = setInterval(() => s.write(byte), everyMs);
  s.on('close', () => clearInterval(t));
}

export async function hostileImapServer(
  mode: HostileMode,
  cert: TestCert,
  opts: { dropAfterMs?: number; mail?: Buffer } = {},
): Promise<HostileImap> {
  let logins = 0;
  let connections = 0;
  let downloads = 0;
  const mail = opts.mail ?? Buffer.from('From: <support@salesforce.com>\r\nSubject: x\r\n\r\nhello\r\n');
  const arrived = new Date();
  const internalDate = arrived
    .toUTCString()
    .replace(
      /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/,
      (_m, d: string, mo: string, y: string, t: string) => `${d.padStart(2, '0')}-${mo}-${y} ${t} +0000`,
    );
  const envelope = `(${imapString(arrived.toUTCString())} "token" (("Salesforce" NIL "support" "salesforce.com")) (("Salesforce" NIL "support" "salesforce.com")) NIL ((NIL NIL "jane.doe" "acme.example")) NIL NIL NIL "<cut.1@sfdc.net>")`;
  const zeros = Buffer.alloc(64 * 1024, 0x30);
  const server = await startFakeServer(
    (s) => {
      connections++;
      if (mode === 'greeting-literal') {
        s.write('* OK {1000000000}\r\n');
        flood(s, zeros);
        return;
      }
      s.write('* OK [CAPABILITY IMAP4rev1 IDLE] hostile test server ready\r\n');
      let buf = '';
      let idleTag: string | undefined;
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (idleTag) {
            if (/^DONE$/i.test(line)) {
              s.write(`${idleTag} OK IDLE done\r\n`);
              idleTag = undefined;
            }
            continue;
          }
          const m = /^(\S+) (?:UID )?(\S+)(.*)$/i.exec(line);
          if (!m) continue;
          const [, tag, cmdRaw] = m;
          const cmd = cmdRaw!.toUpperCase();
          switch (cmd) {
            case 'CAPABILITY':
              s.write(`* CAPABILITY IMAP4rev1 IDLE\r\n${tag} OK done\r\n`);
              break;
            case 'LOGIN':
              logins++;
              if (mode === 'endless-line') {
                s.write('* OK ');
                flood(s, Buffer.alloc(64 * 1024, 0x78));
                return;
              }
              if (mode === 'many-tokens') {
                s.write('* OK (');
                flood(s, Buffer.from('a '.repeat(32 * 1024), 'latin1'));
                return;
              }
              s.write(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n`);
              break;
            case 'LIST':
              s.write(`* LIST (\\Noselect) "/" ""\r\n${tag} OK done\r\n`);
              break;
            case 'SELECT':
            case 'EXAMINE': {
              if (mode === 'silent-select') return;
              const one = mode === 'fetch-literal' || mode === 'drip-literal' || mode === 'cut-download';
              s.write(
                `* FLAGS (\\Seen)\r\n* ${one ? 1 : 0} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT ${one ? 2 : 1}] ok\r\n${tag} OK [READ-ONLY] selected\r\n`,
              );
              break;
            }
            case 'SEARCH':
              s.write(`* SEARCH 1\r\n${tag} OK done\r\n`);
              break;
            case 'FETCH':
              if (mode === 'cut-download') {
                const meta = `UID 1 INTERNALDATE "${internalDate}" RFC822.SIZE ${mail.length} ENVELOPE ${envelope}`;
                if (/BODY\.PEEK\[\]<0\.\d+>/i.test(line))
                  s.write(`* 1 FETCH (${meta} BODY[]<0> "")\r\n${tag} OK done\r\n`);
                else if (/BODY\.PEEK\[\]/i.test(line)) {
                  downloads++;
                  if (downloads === 1) {
                    s.write(`* 1 FETCH (UID 1 BODY[] {${mail.length}}\r\n`);
                    s.write(mail.subarray(0, Math.floor(mail.length / 2)));
                    setTimeout(() => s.destroy(), 20);
                    return;
                  }
                  s.write(
                    Buffer.concat([
                      Buffer.from(`* 1 FETCH (UID 1 BODY[] {${mail.length}}\r\n`),
                      mail,
                      Buffer.from(`)\r\n${tag} OK done\r\n`),
                    ]),
                  );
                } else s.write(`* 1 FETCH (${meta})\r\n${tag} OK done\r\n`);
                break;
              }
              s.write('* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] {1900000000}\r\n');
              if (mode === 'drip-literal') drip(s, 'x', 50);
              else flood(s, zeros);
              return;
            case 'IDLE':
              idleTag = tag;
              s.write('+ idling\r\n');
              if (mode === 'drop-in-idle') setTimeout(() => s.destroy(), opts.dropAfterMs ?? 500);
              break;
            case 'LOGOUT':
              s.end(`* BYE bye\r\n${tag} OK done\r\n`);
              return;
            default:
              s.write(`${tag} OK done\r\n`);
          }
        }
      });
    },
    { tls: { key: cert.key, cert: cert.cert } },
  );
  return { ...server, logins: () => logins, connections: () => connections, downloads: () => downloads };
}
