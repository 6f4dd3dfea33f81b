import {
  expectValidZendeskRequest,
  findZendeskOperation,
  validateZendeskRequest,
} from '../helpers/zendesk-spec';

const voiceBody = {
  display_to_agent: 7,
  ticket: {
    via_id: 45,
    subject: 'Call',
    comment: { body: 'Inbound call', public: false },
    voice_comment: {
      from: '+15551234567',
      to: '+15550000000',
      recording_url: 'https://example.test/r.mp3',
      started_at: '2025-01-02T03:04:05Z',
      call_duration: 42,
      answered_by_id: 7,
    },
  },
};

describe('Zendesk spec helper', () => {
  it('when a voice ticket body follows the spec, then there are no errors (despite the spec’s stray path parameters)', () => {
    expect(validateZendeskRequest('POST', '/api/v2/channels/voice/tickets', voiceBody)).toEqual([]);
    expect(() =>
      expectValidZendeskRequest('post', '/api/v2/channels/voice/tickets.json', JSON.stringify(voiceBody)),
    ).not.toThrow();
  });

  it('when a field has the wrong type, then the error names the field', () => {
    const body = { ...voiceBody, display_to_agent: 'agent-7' };
    const errors = validateZendeskRequest('POST', '/api/v2/channels/voice/tickets', body);
    expect(errors).toEqual(['body.display_to_agent must be integer']);
    expect(() => expectValidZendeskRequest('POST', '/api/v2/channels/voice/tickets', body)).toThrow(
      /display_to_agent must be integer/,
    );
  });

  it('when a nested field breaks an enum or type, then each error names its path', () => {
    const body = {
      ticket: {
        ...voiceBody.ticket,
        via_id: 12,
        voice_comment: { ...voiceBody.ticket.voice_comment, call_duration: '42' },
      },
    };
    const errors = validateZendeskRequest('POST', '/api/v2/channels/voice/tickets', body);
    expect(errors).toEqual(
      expect.arrayContaining([
        'body.ticket.via_id must be one of [44,45,46]',
        'body.ticket.voice_comment.call_duration must be integer',
      ]),
    );
  });

  it('when the operation does not exist, then the error says so', () => {
    expect(validateZendeskRequest('POST', '/api/v2/voice/tickets', {})).toEqual([
      'no such operation in the spec: POST /api/v2/voice/tickets',
    ]);
    expect(validateZendeskRequest('PATCH', '/api/v2/users/search?query=x', undefined)[0]).toMatch(
      /no such operation.*allows GET/,
    );
  });

  it('when a path holds a literal segment and a parameter alternative, then the literal operation is chosen', () => {
    expect(findZendeskOperation('GET', '/api/v2/users/search.json?query=phone%3A%2B1555')).toEqual({
      operationId: 'SearchUsers',
      template: '/api/v2/users/search',
    });
    expect(findZendeskOperation('PUT', '/api/v2/tickets/12')?.operationId).toBe('UpdateTicket');
  });

  it('when a path parameter is not an integer or a body goes to an operation without one, then both are errors', () => {
    expect(validateZendeskRequest('PUT', '/api/v2/tickets/abc', { ticket: {} })).toEqual([
      'path parameter ticket_id must be an integer',
    ]);
    expect(
      validateZendeskRequest('POST', '/api/v2/channels/voice/agents/1/tickets/2/display', { x: 1 }),
    ).toEqual(['OpenTicketInAgentBrowser takes no request body']);
    expect(validateZendeskRequest('POST', '/api/v2/channels/voice/agents/1/tickets/2/display', '')).toEqual(
      [],
    );
  });

  it('when the body is not JSON, then the error says so', () => {
    expect(validateZendeskRequest('POST', '/api/v2/tickets', '{not json')).toEqual([
      'body is not valid JSON',
    ]);
  });

  it('when many requests are checked, then validators are compiled once and stay fast', () => {
    validateZendeskRequest('POST', '/api/v2/channels/voice/tickets', voiceBody);
    const started = performance.now();
    for (let i = 0; i < 2000; i++)
      validateZendeskRequest('POST', '/api/v2/channels/voice/tickets', voiceBody);
    const perRequestMs = (performance.now() - started) / 2000;
    expect(perRequestMs).toBeLessThan(1);
  });
});
