import { ConnectorError } from '@pulse/connectors';
import { DomainError } from '@pulse/errors';
import { syncFailure } from './sync-failure';

const scrub = (text: string) => text.replaceAll('s3cret', '[redacted]');

describe('syncFailure', () => {
  it("keeps a connector error's code and scrubs its message", () => {
    expect(syncFailure(new ConnectorError('source_auth_failed', 'password s3cret refused'), scrub, true)).toMatchObject({ code: 'source_auth_failed', message: 'password [redacted] refused' });
  });

  it("keeps the code of Pulse's own domain errors instead of calling them the source's", () => {
    expect(syncFailure(new DomainError('unprocessable', 'empty_full_read', 'nothing read'), scrub, true)).toMatchObject({ code: 'empty_full_read', kind: 'unprocessable' });
  });

  it("labels a database error of Pulse's own as source_deleted when the source is gone, else internal", () => {
    // What the tenant database answers when the source row went while its import committed.
    const foreignKey = Object.assign(new Error('insert or update on table "imports" violates foreign key constraint "imports_source_id_fkey"'), { code: '23503' });
    expect(syncFailure(foreignKey, scrub, false)).toMatchObject({ code: 'source_deleted', message: expect.stringContaining('deleted while this sync ran') });
    const internal = syncFailure(foreignKey, scrub, true);
    expect(internal).toMatchObject({ code: 'internal', kind: 'internal' });
    expect(internal.message).not.toContain('imports_source_id_fkey');
  });
});
