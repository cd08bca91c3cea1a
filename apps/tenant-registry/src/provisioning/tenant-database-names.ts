/** Database and role names of a tenant: `tenant_<slug>` with the slug's dashes as underscores. */
export function tenantDatabaseNames(slug: string): { databaseName: string; roleName: string } {
  const name = `tenant_${slug.replace(/-/g, '_')}`;
  return { databaseName: name, roleName: name };
}
