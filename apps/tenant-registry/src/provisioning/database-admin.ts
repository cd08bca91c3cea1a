import { Client, escapeIdentifier, escapeLiteral } from 'pg';

export interface TenantDatabaseSpec {
  databaseName: string;
  roleName: string;
  password: string;
  connectionLimit: number;
}

/**
 * DDL on the shared instance, as the provisioning login. Every operation is idempotent (it checks the
 * catalog first), so a provisioning run interrupted anywhere can simply be run again.
 * DDL takes no bind parameters: names go through escapeIdentifier, the password through escapeLiteral.
 */
export class DatabaseAdmin {
  constructor(private readonly adminUrl: string) {}

  private async run<T>(database: string | undefined, work: (client: Client) => Promise<T>): Promise<T> {
    const url = new URL(this.adminUrl);
    if (database) url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString(), application_name: 'tenant-registry-provisioning' });
    // A connection cut between statements must fail the step (its next query rejects), not the process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** A login role of its own, with the connection budget of one tenant; the password is (re)set each run. */
  async ensureRole(spec: TenantDatabaseSpec): Promise<void> {
    await this.run(undefined, async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.roleName]);
      const verb = exists.rowCount ? 'ALTER' : 'CREATE';
      await client.query(
        `${verb} ROLE ${escapeIdentifier(spec.roleName)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT ` +
          `CONNECTION LIMIT ${Math.trunc(spec.connectionLimit)} PASSWORD ${escapeLiteral(spec.password)}`,
      );
    });
  }

  /** The database, owned by the tenant's role; only that role may connect to it. */
  async ensureDatabase(spec: TenantDatabaseSpec): Promise<void> {
    await this.run(undefined, async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [spec.databaseName]);
      const database = escapeIdentifier(spec.databaseName);
      const role = escapeIdentifier(spec.roleName);
      if (!exists.rowCount) await client.query(`CREATE DATABASE ${database} OWNER ${role}`);
      // New databases grant CONNECT to PUBLIC, i.e. to every other tenant's role: take it away.
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`);
    });
    await this.run(spec.databaseName, async (client) => {
      const role = escapeIdentifier(spec.roleName);
      await client.query(`ALTER SCHEMA public OWNER TO ${role}`);
      await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    });
  }

  async databaseExists(databaseName: string): Promise<boolean> {
    return this.run(undefined, async (client) => Boolean((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName])).rowCount));
  }

  /** Drops the database (closing its sessions) and then the role. Missing ones are fine. */
  async dropTenantDatabase(spec: Pick<TenantDatabaseSpec, 'databaseName' | 'roleName'>): Promise<void> {
    await this.run(undefined, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(spec.databaseName)} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(spec.roleName)}`);
    });
  }
}
