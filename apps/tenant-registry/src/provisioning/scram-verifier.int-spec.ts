import { testPostgresUrlOrThrow, withClient } from '@pulse/testing';
import { randomBytes } from 'node:crypto';
import { escapeIdentifier } from 'pg';
import { scramSha256Verifier } from './scram-verifier';

// The verifier is checked against PostgreSQL's own: the server hashes a password given in clear, and the
// same password with that verifier's salt and iterations must give the very same verifier here.
describe('scramSha256Verifier (real PostgreSQL)', () => {
  it('computes the verifier PostgreSQL stores for a password', async () => {
    const role = `scram_check_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    await withClient(testPostgresUrlOrThrow(), async (client) => {
      await client.query(`SET password_encryption = 'scram-sha-256'`);
      await client.query(`CREATE ROLE ${escapeIdentifier(role)} PASSWORD '${password}'`);
      try {
        const { rows } = await client.query<{ stored: string }>('SELECT rolpassword AS stored FROM pg_authid WHERE rolname = $1', [role]);
        const stored = rows[0]?.stored ?? '';
        const [, iterations, salt] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored) ?? [];
        expect(scramSha256Verifier(password, Buffer.from(salt ?? '', 'base64'), Number(iterations))).toBe(stored);
        expect(scramSha256Verifier(`${password}x`, Buffer.from(salt ?? '', 'base64'), Number(iterations))).not.toBe(stored);
      } finally {
        await client.query(`DROP ROLE ${escapeIdentifier(role)}`);
      }
    });
  });

  it('is what CREATE ROLE is given: the stored verifier, never the password, is in the statement', async () => {
    const role = `scram_given_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    const verifier = scramSha256Verifier(password);
    expect(verifier).not.toContain(password);
    await withClient(testPostgresUrlOrThrow(), async (client) => {
      await client.query(`CREATE ROLE ${escapeIdentifier(role)} PASSWORD '${verifier}'`);
      try {
        const { rows } = await client.query('SELECT rolpassword AS stored FROM pg_authid WHERE rolname = $1', [role]);
        expect(rows).toEqual([{ stored: verifier }]);
      } finally {
        await client.query(`DROP ROLE ${escapeIdentifier(role)}`);
      }
    });
  });

  it('refuses a password SASLprep could change', () => {
    expect(() => scramSha256Verifier('pässword')).toThrow(/printable ASCII/);
  });
});
