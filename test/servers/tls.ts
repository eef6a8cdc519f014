/** A throwaway self-signed certificate for localhost / 127.0.0.1 (openssl), for the TLS tests and https emulators. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeSelfSignedCert } from '../../src/imapServer/dovecot';

export interface TestCert {
  key: string;
  cert: string;
  /** The PEM certificate's file (for NODE_EXTRA_CA_CERTS); gone after cleanup(). */
  certPath: string;
  cleanup(): void;
}

/** Throws when openssl is missing or fails (see trySelfSignedCert). */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-cert-'));
  try {
    const { certPath, keyPath } = makeSelfSignedCert(dir);
    return {
      key: readFileSync(keyPath, 'utf8'),
      cert: readFileSync(certPath, 'utf8'),
      certPath,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** undefined when openssl is missing (the caller skips its test). */
export function trySelfSignedCert(): TestCert | undefined {
  try {
    return selfSignedCert();
  } catch {
    return undefined;
  }
}
