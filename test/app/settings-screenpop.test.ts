import { ccpUrlFrom, parseSettings } from '../../app/settings';
import { createScreenPopper } from '../../app/top_bar/screenPop';
import { normaliseNumber, parseCommand } from '../../app/top_bar/softphone/types';

describe('installation settings', () => {
  it.each([
    ['https://acme.my.connect.aws', 'https://acme.my.connect.aws/ccp-v2/'],
    ['https://acme.my.connect.aws/', 'https://acme.my.connect.aws/ccp-v2/'],
    ['https://acme.my.connect.aws/ccp-v2', 'https://acme.my.connect.aws/ccp-v2/'],
    ['https://acme.awsapps.com/connect', 'https://acme.awsapps.com/connect/ccp-v2/'],
    ['https://acme.awsapps.com/connect/ccp-v2/', 'https://acme.awsapps.com/connect/ccp-v2/'],
    ['http://localhost:4599', 'http://localhost:4599/ccp-v2/'],
    ['http://acme.my.connect.aws', null],
    ['not a url', null],
  ])('CCP URL from %s → %s', (input, expected) => {
    expect(ccpUrlFrom(input)).toBe(expected);
  });

  it('when everything is set, then the service URL loses its trailing slash and there are no problems', () => {
    expect(
      parseSettings({
        service_url: 'https://svc.example.com/',
        connect_instance_url: 'https://acme.my.connect.aws',
        connect_region: 'eu-central-1',
      }),
    ).toEqual({
      settings: {
        serviceUrl: 'https://svc.example.com',
        ccpUrl: 'https://acme.my.connect.aws/ccp-v2/',
        connectRegion: 'eu-central-1',
      },
      problems: [],
    });
  });

  it('when settings are missing or wrong, then each problem is named', () => {
    expect(parseSettings({}).problems).toEqual(['service_url_missing', 'connect_url_missing']);
    expect(parseSettings({ service_url: 'ftp://x', connect_instance_url: 'nope' }).problems).toEqual([
      'service_url_invalid',
      'connect_url_invalid',
    ]);
    expect(
      parseSettings({
        service_url: 'https://svc.example.com?x=1',
        connect_instance_url: 'https://a.my.connect.aws',
      }).problems,
    ).toEqual(['service_url_invalid']);
  });
});

describe('softphone commands from other frames', () => {
  it('accepts known commands and refuses anything else', () => {
    expect(parseCommand({ type: 'mute' })).toEqual({ type: 'mute' });
    expect(parseCommand({ type: 'dial', number: '+1 555' })).toEqual({ type: 'dial', number: '+1 555' });
    expect(parseCommand({ type: 'dial', number: ' ' })).toBeNull();
    expect(parseCommand({ type: 'digits', digits: '12#' })).toEqual({ type: 'digits', digits: '12#' });
    expect(parseCommand({ type: 'digits', digits: '1; drop' })).toBeNull();
    expect(parseCommand({ type: 'format_disk' })).toBeNull();
    expect(parseCommand(null)).toBeNull();
  });
  it('normalises numbers the way Zendesk sends them', () => {
    expect(normaliseNumber(' +1 (555) 010-0199 ')).toBe('+15550100199');
    expect(normaliseNumber('0800 123*4#')).toBe('0800123*4#');
  });
});

describe('screen pop', () => {
  const ticketContact = (ticketId?: number) => ({
    contactId: 'c-1',
    initialContactId: 'c-1',
    channel: 'VOICE',
    state: 'connected' as const,
    ...(ticketId ? { ticketId } : {}),
  });

  it('when the ticket exists and is not open, then it is opened once', async () => {
    const openTicket = jest.fn(async () => {});
    const popper = createScreenPopper({
      api: { getContact: jest.fn(async () => ticketContact(42)) },
      isTicketOpen: () => false,
      openTicket,
      sleep: async () => {},
    });
    await expect(popper.onConnected('c-1')).resolves.toBe('opened');
    await expect(popper.onConnected('c-1')).resolves.toBe('skipped');
    expect(openTicket).toHaveBeenCalledTimes(1);
    expect(openTicket).toHaveBeenCalledWith(42);
  });

  it('when the service already opened it, then nothing happens', async () => {
    const openTicket = jest.fn(async () => {});
    const popper = createScreenPopper({
      api: { getContact: async () => ticketContact(42) },
      isTicketOpen: (id) => id === 42,
      openTicket,
      sleep: async () => {},
    });
    await expect(popper.onConnected('c-1')).resolves.toBe('already_open');
    expect(openTicket).not.toHaveBeenCalled();
  });

  it('when the service has not linked a ticket yet, then it retries with backoff before giving up', async () => {
    const getContact = jest
      .fn()
      .mockResolvedValueOnce(null)
      .mockRejectedValueOnce(new Error('503'))
      .mockResolvedValue(ticketContact(7));
    const sleeps: number[] = [];
    const openTicket = jest.fn(async () => {});
    const popper = createScreenPopper({
      api: { getContact },
      isTicketOpen: () => false,
      openTicket,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(popper.onConnected('c-1')).resolves.toBe('opened');
    expect(sleeps).toEqual([1000, 2000]);
    expect(openTicket).toHaveBeenCalledWith(7);

    const never = createScreenPopper({
      api: { getContact: async () => ticketContact() },
      isTicketOpen: () => false,
      openTicket,
      sleep: async () => {},
    });
    await expect(never.onConnected('c-2')).resolves.toBe('no_ticket');
  });
});
