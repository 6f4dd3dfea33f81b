import type { RawZafClient } from 'zendesk_app_framework_sdk';
import { wrapZafClient, ZafRequestError } from '../../app/zaf/client';

function fakeRaw(overrides: Partial<RawZafClient> = {}) {
  const handlers = new Map<string, ((d: unknown) => void)[]>();
  const raw = {
    ready: false,
    on: jest.fn((name: string, h: (d: unknown) => void) =>
      handlers.set(name, [...(handlers.get(name) ?? []), h]),
    ),
    off: jest.fn(),
    trigger: jest.fn(),
    get: jest.fn(),
    set: jest.fn(async () => ({})),
    invoke: jest.fn(async () => ({})),
    request: jest.fn(),
    instance: jest.fn(() => ({ trigger: jest.fn() })),
    context: jest.fn(),
    metadata: jest.fn(),
    ...overrides,
  } as unknown as RawZafClient & { on: jest.Mock; instance: jest.Mock };
  const fire = (name: string, data?: unknown) => handlers.get(name)?.forEach((h) => h(data));
  return { raw, fire };
}

describe('ZAF client wrapper', () => {
  it('when Zendesk registers the app, then registered() resolves', async () => {
    const { raw, fire } = fakeRaw();
    const client = wrapZafClient(raw);
    expect(client.isRegistered()).toBe(false);
    const p = client.registered();
    fire('app.registered', { context: {}, metadata: {} });
    await expect(p).resolves.toBeUndefined();
    expect(client.isRegistered()).toBe(true);
  });

  it('when getting one path, then the value is unwrapped and a per-path error throws', async () => {
    const get = jest
      .fn()
      .mockResolvedValueOnce({ errors: {}, 'ticket.id': 42 })
      .mockResolvedValueOnce({ errors: { 'ticket.id': { message: 'ticket.id unavailable' } } });
    const client = wrapZafClient(fakeRaw({ get } as Partial<RawZafClient>).raw);
    await expect(client.get('ticket.id')).resolves.toBe(42);
    await expect(client.get('ticket.id')).rejects.toThrow('ticket.id unavailable');
  });

  it('when a request fails, then the XHR-like rejection becomes a ZafRequestError with the parsed body', async () => {
    const request = jest
      .fn()
      .mockRejectedValue({ status: 403, responseText: '{"error":{"code":"forbidden"}}' });
    const client = wrapZafClient(fakeRaw({ request } as Partial<RawZafClient>).raw);
    const err = await client.request({ url: 'https://svc.example.com' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZafRequestError);
    expect(err).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('when listing instances, then each carries its guid and location', async () => {
    const get = jest.fn().mockResolvedValue({
      errors: {},
      instances: {
        'g-1': { location: 'top_bar' },
        'g-2': { location: 'ticket_sidebar', instanceGuid: 'g-2' },
      },
    });
    const client = wrapZafClient(fakeRaw({ get } as Partial<RawZafClient>).raw);
    await expect(client.instances()).resolves.toEqual([
      { instanceGuid: 'g-1', location: 'top_bar' },
      { instanceGuid: 'g-2', location: 'ticket_sidebar' },
    ]);
  });

  it('when subscribing, then the returned function unsubscribes the same handler', () => {
    const { raw } = fakeRaw();
    const client = wrapZafClient(raw);
    const handler = jest.fn();
    const off = client.on('voice.dialout', handler);
    off();
    expect(raw.off).toHaveBeenCalledWith('voice.dialout', handler);
  });

  it('when messaging another instance, then the trigger goes through that instance client', () => {
    const other = { trigger: jest.fn() };
    const { raw } = fakeRaw({ instance: jest.fn(() => other) } as unknown as Partial<RawZafClient>);
    wrapZafClient(raw).instance('g-9').trigger('concierge.command', { type: 'mute' });
    expect(raw.instance).toHaveBeenCalledWith('g-9');
    expect(other.trigger).toHaveBeenCalledWith('concierge.command', { type: 'mute' });
  });
});
