import { status } from '@grpc/grpc-js';
import { parseProjectOrThrow, parseResourceNameOrThrow } from './resource-names';

describe('parseResourceNameOrThrow', () => {
  it('accepts any project id and splits the name', () => {
    expect(parseResourceNameOrThrow('projects/pulse-test/topics/orders.created.1', 'topics')).toEqual({
      project: 'pulse-test',
      id: 'orders.created.1',
      name: 'projects/pulse-test/topics/orders.created.1',
    });
    expect(parseResourceNameOrThrow('projects/p/subscriptions/Sub_~+%-x', 'subscriptions').id).toBe('Sub_~+%-x');
  });

  it.each([
    ['projects/p/topics/ab', 'topics'],
    ['projects/p/topics/1abc', 'topics'],
    ['projects/p/topics/google-things', 'topics'],
    ['projects/p/topics/has space', 'topics'],
    ['projects/p/subscriptions/abc', 'topics'],
    ['topics/abc', 'topics'],
    ['projects/p/topics/abc/extra', 'topics'],
  ] as const)('rejects %s as a %s name with INVALID_ARGUMENT', (name, collection) => {
    expect(() => parseResourceNameOrThrow(name, collection)).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT, message: `Invalid [${collection}] name: (name=${name})` }),
    );
  });
});

describe('parseProjectOrThrow', () => {
  it('returns the project id', () => {
    expect(parseProjectOrThrow('projects/pulse-test')).toBe('pulse-test');
  });

  it('rejects anything else', () => {
    expect(() => parseProjectOrThrow('pulse-test')).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
  });
});
