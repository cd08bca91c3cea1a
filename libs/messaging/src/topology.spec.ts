import { broadcastSubscriptionName, processInstanceId } from './topology';

// Pub/Sub subscription ids: 3-255 characters, a letter first, then letters, digits and - . _ ~ + %.
const VALID_SUBSCRIPTION_ID = /^[A-Za-z][A-Za-z0-9\-._~+%]{2,254}$/;

describe('per-replica subscription names', () => {
  it('differ between two processes on the same host', () => {
    const first = broadcastSubscriptionName('tenant.updated.v1', 'api', processInstanceId('laptop.local'));
    const second = broadcastSubscriptionName('tenant.updated.v1', 'api', processInstanceId('laptop.local'));

    expect(first).toMatch(/^tenant\.updated\.v1\.api\.laptop-local-[0-9a-f]{8}$/);
    expect(second).toMatch(/^tenant\.updated\.v1\.api\.laptop-local-[0-9a-f]{8}$/);
    expect(first).not.toBe(second);
  });

  it('keep the unique suffix within Pub/Sub rules when the host name is too long', () => {
    const instance = processInstanceId(`Pod_${'x'.repeat(400)}`);
    const name = broadcastSubscriptionName('tenant.offboarded.v1', 'api', instance);

    expect(name).toHaveLength(255);
    expect(name).toMatch(VALID_SUBSCRIPTION_ID);
    expect(name.startsWith('tenant.offboarded.v1.api.')).toBe(true); // the prefix infrastructure grants on
    expect(name.endsWith(instance.slice(-9))).toBe(true);
  });
});
