import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { ConnectorError } from '../connector-errors';

const serviceAccountKeySchema = z.object({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
});

/**
 * Authorization headers for Google APIs from a service-account key. The JWT is self-signed with the
 * requested scope (Google accepts these for Sheets and Cloud Storage), so no token endpoint is
 * called: fewer moving parts, and the same code runs against local fakes of the APIs.
 */
export class GoogleAccess {
  private readonly jwt: JWT;

  constructor(serviceAccountKey: string, scopes: string[]) {
    let parsed: z.infer<typeof serviceAccountKeySchema>;
    try {
      parsed = serviceAccountKeySchema.parse(JSON.parse(serviceAccountKey));
    } catch {
      throw new ConnectorError('invalid_source_config', 'The service-account key is not a Google service-account JSON key file');
    }
    this.jwt = new JWT({ email: parsed.client_email, key: parsed.private_key, keyId: parsed.private_key_id, scopes });
    this.jwt.useJWTAccessWithScope = true;
  }

  async headers(url: string): Promise<Record<string, string>> {
    const headers = await this.jwt.getRequestHeaders(url);
    const authorization = headers.get('authorization');
    if (!authorization) throw new ConnectorError('source_unreachable', 'Could not sign a Google access token');
    return { authorization };
  }
}
