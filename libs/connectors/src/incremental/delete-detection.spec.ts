import { FullReadKeys, keyOfValues, recordKey } from './delete-detection';

describe('FullReadKeys', () => {
  it('reports destination keys the complete read did not see, matching numbers and text', () => {
    const keys = new FullReadKeys(['region', 'id']);
    keys.observe([{ region: 'n', id: 1 }, { region: 'n', id: 2 }]);
    keys.observe([{ region: 's', id: 1 }]);
    keys.markComplete();
    expect(keys.deletedAmong([['n', '1'], ['n', '3'], ['s', 1], ['s', '2']])).toEqual([keyOfValues(['n', '3']), keyOfValues(['s', '2'])]);
  });

  it('refuses to detect deletes from an incomplete read, and rows without a key', () => {
    const keys = new FullReadKeys(['id']);
    keys.observe([{ id: 1 }]);
    expect(() => keys.deletedAmong([['1']])).toThrow('Deletes can only be detected after a complete full read');
    expect(() => recordKey({ id: null }, ['id'])).toThrow('A source row has no value for primary key column "id"');
  });
});
