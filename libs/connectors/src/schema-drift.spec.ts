import { assertNoBreakingDrift, compareSchemas } from './schema-drift';

describe('schema drift', () => {
  const expected = [
    { name: 'id', type: 'integer' as const },
    { name: 'email', type: 'text' as const },
    { name: 'total', type: 'decimal' as const },
    { name: 'notes', type: 'text' as const },
  ];

  it('lets new columns through (they go to custom) and fails on removed or retyped mapped columns with a diff', () => {
    const drift = compareSchemas(
      expected,
      [
        { name: 'id', type: 'integer', sourceType: 'int', nullable: false },
        { name: 'total', type: 'text', sourceType: 'varchar', nullable: true },
        { name: 'notes', type: 'json', sourceType: 'jsonb', nullable: true },
        { name: 'loyalty_tier', type: 'text', sourceType: 'text', nullable: true },
      ],
      ['id', 'email', 'total'],
    );
    expect(drift.added.map((column) => column.name)).toEqual(['loyalty_tier']);
    expect(drift.breaking).toEqual([
      { column: 'email', before: 'text', after: 'absent' },
      { column: 'total', before: 'decimal', after: 'text' },
    ]);
    expect(drift.unmappedChanges).toEqual([{ column: 'notes', before: 'text', after: 'json' }]);
    expect(() => assertNoBreakingDrift(drift)).toThrow(
      'The source schema changed under mapped columns: email: text -> absent, total: decimal -> text; nothing was loaded. ' +
        'To go on without a column, add it to the source\'s mapping as null (mapping.columns: { "email": null, "total": null })',
    );
  });

  it('accepts an unchanged schema', () => {
    const same = expected.map((column) => ({ ...column, sourceType: column.type, nullable: true }));
    expect(() => assertNoBreakingDrift(compareSchemas(expected, same, ['id']))).not.toThrow();
  });
});
