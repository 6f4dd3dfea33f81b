/**
 * The calls the demo replays: what Amazon Connect and Contact Lens recorded for a handful of
 * conversations of a web shop's support line. Each is the customer's and the agent's turns with the
 * sentiment Contact Lens gave them and when they were said, plus how the call ended. Customers ask in
 * the words of the Bitext dataset the Help Center is built from, so suggestions have something to find;
 * some ask about topics the Help Center does not cover (the knowledge gaps).
 */

export type Sentiment = 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE' | 'MIXED';

export interface Turn {
  who: 'CUSTOMER' | 'AGENT';
  text: string;
  sentiment: Sentiment;
  /** Seconds after the agent picked up. */
  at: number;
}

export type RecordingKind = 'answered' | 'abandoned' | 'self_service';

export interface Recording {
  name: string;
  kind: RecordingKind;
  queue: string;
  /** Caller id as Connect reports it (documentation-range numbers only). */
  phone: string;
  callerName: string;
  /** Answered calls: turns, in order. */
  turns: Turn[];
  /** Seconds the caller waited in the queue (answered, abandoned) or spent with the bot (self-service). */
  waitSeconds: number;
  /** What the agent writes on the ticket when solving it after the call (answered calls). */
  wrapUp?: string;
}

const t = (who: Turn['who'], at: number, sentiment: Sentiment, text: string): Turn => ({
  who,
  text,
  sentiment,
  at,
});

export const RECORDINGS: Recording[] = [
  {
    name: 'refund not arrived — frustration, then relief',
    kind: 'answered',
    queue: 'Billing',
    phone: '+14155550142',
    callerName: 'Dana Whitfield',
    waitSeconds: 4,
    turns: [
      t('AGENT', 1, 'NEUTRAL', 'Thanks for calling, this is Alex. How can I help you today?'),
      t(
        'CUSTOMER',
        5,
        'NEGATIVE',
        'Hi. I returned a jacket three weeks ago and I still have not received my refund.',
      ),
      t('AGENT', 11, 'NEUTRAL', 'I am sorry to hear that. Let me look up the return for you.'),
      t(
        'CUSTOMER',
        16,
        'NEGATIVE',
        'This is the second time I am calling about it. I want to know how to track my refund.',
      ),
      t('AGENT', 24, 'NEUTRAL', 'I understand. I can see the return was received at our warehouse.'),
      t('CUSTOMER', 30, 'NEGATIVE', 'So where is my money? Nobody ever tells me anything.'),
      t(
        'AGENT',
        37,
        'POSITIVE',
        'The refund was issued yesterday. It usually shows on your card within five business days.',
      ),
      t('CUSTOMER', 45, 'NEUTRAL', 'Okay. Can I check the status of the refund myself somewhere?'),
      t(
        'AGENT',
        51,
        'POSITIVE',
        'Yes, I will send you the steps by email right after this call, with the refund reference.',
      ),
      t('CUSTOMER', 58, 'POSITIVE', 'That is great, thank you so much for sorting this out.'),
      t('AGENT', 63, 'POSITIVE', 'You are welcome. Have a lovely day.'),
    ],
    wrapUp:
      'Refund for the returned jacket was issued yesterday; sent the caller the refund reference and how to follow it.',
  },
  {
    name: 'bot answers a delivery question',
    kind: 'self_service',
    queue: 'Orders',
    phone: '+14155550177',
    callerName: 'Sam Okafor',
    waitSeconds: 40,
    turns: [],
  },
  {
    name: 'cancel an order — calm and quick',
    kind: 'answered',
    queue: 'Orders',
    phone: '+14155550118',
    callerName: 'Priya Raman',
    waitSeconds: 3,
    turns: [
      t('AGENT', 1, 'NEUTRAL', 'Thanks for calling, this is Alex. What can I do for you?'),
      t('CUSTOMER', 4, 'NEUTRAL', 'Hello, I would like to cancel an order I placed this morning.'),
      t('AGENT', 10, 'NEUTRAL', 'Sure, can you give me the order number?'),
      t('CUSTOMER', 14, 'NEUTRAL', 'It is 4 4 7 1 9. I ordered the wrong size.'),
      t(
        'AGENT',
        21,
        'POSITIVE',
        'Got it. The order has not shipped yet, so I can cancel it right away at no cost.',
      ),
      t('CUSTOMER', 28, 'POSITIVE', 'Perfect. How do I cancel an order myself next time?'),
      t('AGENT', 34, 'POSITIVE', 'In your account, under Order History, there is a Cancel Order button.'),
      t('CUSTOMER', 41, 'POSITIVE', 'Wonderful, thanks a lot for your help!'),
    ],
    wrapUp: 'Cancelled order 44719 before shipping (wrong size); explained the Cancel Order button.',
  },
  {
    name: 'caller hangs up in the queue',
    kind: 'abandoned',
    queue: 'Billing',
    phone: '+14155550163',
    callerName: 'Jordan Blake',
    waitSeconds: 20,
    turns: [],
  },
  {
    name: 'payment refused — anger that keeps building',
    kind: 'answered',
    queue: 'Billing',
    phone: '+14155550190',
    callerName: 'Chris Navarro',
    waitSeconds: 6,
    turns: [
      t('AGENT', 1, 'NEUTRAL', 'Thanks for calling, this is Alex. How can I help?'),
      t('CUSTOMER', 4, 'NEGATIVE', 'My payment keeps getting declined and I have no idea why.'),
      t('AGENT', 10, 'NEUTRAL', 'I am sorry about that. Which payment method are you using?'),
      t('CUSTOMER', 15, 'NEGATIVE', 'A credit card. I tried three times and it failed every time.'),
      t('AGENT', 22, 'NEUTRAL', 'Let me check if there is an issue with the payment on our side.'),
      t(
        'CUSTOMER',
        28,
        'NEGATIVE',
        'This is ridiculous, I have wasted an hour on this. I want to file a complaint.',
      ),
      t('AGENT', 35, 'NEUTRAL', 'I understand your frustration. I see the bank refused the charge.'),
      t(
        'CUSTOMER',
        42,
        'NEGATIVE',
        'The bank says it is fine. It is your payment system that is broken. This is unacceptable.',
      ),
      t(
        'AGENT',
        50,
        'NEUTRAL',
        'I will escalate it to our payments team and call you back today with an answer.',
      ),
      t('CUSTOMER', 57, 'MIXED', 'Fine. But if it is not fixed today I am cancelling my account.'),
    ],
    wrapUp:
      'Card declined three times; bank says the card is fine. Escalated to the payments team, callback promised today.',
  },
  {
    name: 'password reset — a gap in the Help Center',
    kind: 'answered',
    queue: 'Accounts',
    phone: '+14155550111',
    callerName: 'Mei Tanaka',
    waitSeconds: 5,
    turns: [
      t('AGENT', 1, 'NEUTRAL', 'Thanks for calling, this is Alex. How can I help you?'),
      t('CUSTOMER', 4, 'NEGATIVE', 'I forgot my password and I cannot get into my account.'),
      t('AGENT', 10, 'NEUTRAL', 'No problem. Did you try the Forgot password link on the sign-in page?'),
      t('CUSTOMER', 16, 'NEGATIVE', 'Yes, but the reset email never arrives. How do I recover my password?'),
      t('AGENT', 24, 'NEUTRAL', 'Let me check the email address on the account.'),
      t('AGENT', 31, 'POSITIVE', 'There was a typo in the address. I fixed it and sent a new reset link.'),
      t('CUSTOMER', 38, 'POSITIVE', 'Oh, I got it now. Thank you, that was quick!'),
    ],
    wrapUp: 'Fixed a typo in the account email; the password reset link then arrived.',
  },
];

/** The whole loop, in seconds, at the pace the replay uses (for the README and the tests' timeouts). */
export function loopSeconds(recordings: Recording[] = RECORDINGS): number {
  return recordings.reduce(
    (sum, r) => sum + r.waitSeconds + (r.turns.at(-1)?.at ?? 0) + (r.kind === 'answered' ? 8 : 2),
    0,
  );
}
