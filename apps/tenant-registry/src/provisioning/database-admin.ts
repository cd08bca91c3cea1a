import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { scramSha256Verifier } from './scram-verifier';

export interface TenantDatabaseSpec {
  databaseName: string;
  roleName: string;
  password: string;
  connectionLimit: number;
}

/**
 * DDL on the shared instance, as the provisioning login. Every operation is idempotent (it checks the
 * catalog first), so a provisioning run interrupted anywhere can simply be run again.
 * DDL takes no bind parameters: names go through escapeIdentifier, the password's SCRAM verifier (never
 * the password: see scramSha256Verifier) through escapeLiteral.
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

  /**
   * A login role of its own, with the connection budget of one tenant; the password is (re)set each run.
   * In the same transaction the provisioning login is granted the role (grantToProvisioningLogin).
   */
  async ensureRole(spec: TenantDatabaseSpec): Promise<void> {
    await this.run(undefined, async (client) => {
      await client.query('BEGIN');
      const existing = await client.query<{ rolsuper: boolean }>('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [spec.roleName]);
      const verb = existing.rows[0] ? 'ALTER' : 'CREATE';
      // Only a superuser may name the SUPERUSER attribute in ALTER ROLE, even to say NOSUPERUSER: it is
      // named when creating, and when altering only if the role has become a superuser (which a
      // provisioning login that is none then refuses, rather than serve a tenant as a superuser).
      const superuser = existing.rows[0]?.rolsuper === false ? '' : 'NOSUPERUSER ';
      await client.query(
        `${verb} ROLE ${escapeIdentifier(spec.roleName)} LOGIN ${superuser}NOCREATEDB NOCREATEROLE NOINHERIT ` +
          `CONNECTION LIMIT ${Math.trunc(spec.connectionLimit)} PASSWORD ${escapeLiteral(scramSha256Verifier(spec.password))}`,
      );
      await this.grantToProvisioningLogin(client, spec.roleName);
      await client.query('COMMIT');
    });
  }

  /**
   * The database, owned by the tenant's role; only that role may connect to it. It is created owned by
   * the provisioning login, which sets up its public schema and then hands it over: on PostgreSQL 15 a
   * NOINHERIT owner's rights over the schema (through pg_database_owner) reach neither the owner nor
   * its members, so only the database's owner at that moment, or a superuser, may change the schema.
   */
  async ensureDatabase(spec: TenantDatabaseSpec): Promise<void> {
    const database = escapeIdentifier(spec.databaseName);
    const role = escapeIdentifier(spec.roleName);
    await this.run(undefined, async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [spec.databaseName]);
      if (!exists.rowCount) await client.query(`CREATE DATABASE ${database}`);
      // New databases grant CONNECT to PUBLIC, i.e. to every other tenant's role: take it away.
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`);
    });
    await this.run(spec.databaseName, async (client) => {
      await client.query(`ALTER SCHEMA public OWNER TO ${role}`);
      await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    });
    await this.run(undefined, async (client) => {
      await client.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
    });
  }

  async databaseExists(databaseName: string): Promise<boolean> {
    return this.run(undefined, async (client) => Boolean((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName])).rowCount));
  }

  /**
   * Drops the database (closing its sessions) and then the role. Missing ones are fine. Dropping the
   * database takes its owner's rights, so the provisioning login is granted the role first (again: a
   * tenant provisioned before that grant existed has none).
   */
  async dropTenantDatabase(spec: Pick<TenantDatabaseSpec, 'databaseName' | 'roleName'>): Promise<void> {
    await this.run(undefined, async (client) => {
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.roleName]);
      if (role.rowCount) await this.grantToProvisioningLogin(client, spec.roleName);
      await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(spec.databaseName)} WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(spec.roleName)}`);
    });
  }

  /**
   * Makes the provisioning login a member of the tenant role that may act as it and use its rights:
   * giving the database to the role, connecting to it after CONNECT is revoked from PUBLIC, dropping it.
   * A superuser may do all that already. The login is not a superuser in production (Cloud SQL has
   * none), and with CREATEROLE alone it gets no such membership: on PostgreSQL 16 and later the creator
   * of a role only gets ADMIN OPTION on it (neither SET nor INHERIT), on 15 nothing at all. The grant goes
   * one way, tenant role to the login: the tenant role is a member of nothing and gains nothing.
   * Repeating it is harmless (PostgreSQL notes that the membership exists).
   */
  private async grantToProvisioningLogin(client: Client, roleName: string): Promise<void> {
    const { rows } = await client.query<{ rolsuper: boolean; version: number }>(
      `SELECT rolsuper, current_setting('server_version_num')::int AS version FROM pg_roles WHERE rolname = current_user`,
    );
    const login = rows[0];
    if (!login || login.rolsuper) return;
    // Before 16, membership options do not exist: a member inherits the role's rights if the login itself
    // is INHERIT (the default) and may always SET ROLE to it.
    const options = login.version >= 160000 ? ' WITH SET TRUE, INHERIT TRUE' : '';
    await client.query(`GRANT ${escapeIdentifier(roleName)} TO CURRENT_USER${options}`);
  }
}
