import { createTabCoordinator, type Role, type TabCoordinator } from '../../app/top_bar/tabs';
import type { SoftphoneCommand, SoftphoneSnapshot } from '../../app/top_bar/softphone/types';
import { FakeBroadcastHub, FakeLocks } from './support/tabs-doubles';

async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

function world() {
  const locks = new FakeLocks();
  const hub = new FakeBroadcastHub();
  const tabs: TabCoordinator[] = [];
  const open = (id: string) => {
    const tab = createTabCoordinator({
      tabId: id,
      locks: locks.forTab(id),
      channel: hub.forTab(id),
      now: () => 1_700_000_000_000,
    });
    tabs.push(tab);
    return tab;
  };
  const close = (tab: TabCoordinator) => {
    tab.stop();
    locks.closeTab(tab.tabId);
  };
  return { locks, open, close, stopAll: () => tabs.forEach((t) => t.stop()) };
}

const snapshot: SoftphoneSnapshot = {
  phase: 'ready',
  warnings: [],
  agent: { name: 'Alex Agent', stateName: 'Available', stateType: 'routable', muted: false, states: [] },
};

describe('tab leader election', () => {
  it('when one tab opens, then it leads', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    expect(a.role()).toEqual({ kind: 'leader' });
    w.stopAll();
  });

  it('when a second tab opens, then it follows and knows who leads', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    a.announce({ agentName: 'Alex Agent' });
    const b = w.open('b');
    await settle();
    expect(b.role()).toEqual({
      kind: 'follower',
      leader: { tabId: 'a', since: 1_700_000_000_000, agentName: 'Alex Agent', busy: false },
    });
    w.stopAll();
  });

  it('when the leading tab closes, then a waiting tab takes over without any timeout', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    const b = w.open('b');
    const c = w.open('c');
    await settle();
    const roles: Role[] = [];
    b.onRole((r) => roles.push(r));
    w.close(a);
    await settle();
    expect(b.role().kind).toBe('leader');
    expect(c.role()).toMatchObject({ kind: 'follower', leader: { tabId: 'b' } });
    expect(roles.at(-1)).toEqual({ kind: 'leader' });
    w.stopAll();
  });

  it('when a follower takes over, then the old leader steps down and queues again', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    const b = w.open('b');
    await settle();
    b.takeOver();
    await settle();
    expect(b.role().kind).toBe('leader');
    expect(a.role()).toMatchObject({ kind: 'follower', leader: { tabId: 'b' } });
    expect(w.locks.holderTab()).toBe('b');
    w.close(b);
    await settle();
    expect(a.role().kind).toBe('leader');
    w.stopAll();
  });

  it('when the leader publishes its softphone, then followers receive it and their commands reach the leader', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    const b = w.open('b');
    await settle();
    const seen: SoftphoneSnapshot[] = [];
    b.onSnapshot((s) => seen.push(s));
    const commands: SoftphoneCommand[] = [];
    a.onCommand((c) => commands.push(c));
    a.publishSnapshot(snapshot);
    b.sendCommand({ type: 'dial', number: '+15550100' });
    b.sendCommand({ type: 'bogus' } as unknown as SoftphoneCommand);
    await settle();
    expect(seen).toEqual([snapshot]);
    expect(commands).toEqual([{ type: 'dial', number: '+15550100' }]);
    w.stopAll();
  });

  it('when a tab opens after the leader published, then it gets the latest snapshot straight away', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    a.publishSnapshot(snapshot);
    const b = w.open('b');
    const seen: SoftphoneSnapshot[] = [];
    b.onSnapshot((s) => seen.push(s));
    await settle();
    expect(seen).toEqual([snapshot]);
    w.stopAll();
  });

  it('when a leader is busy on a call, then followers see it', async () => {
    const w = world();
    const a = w.open('a');
    await settle();
    const b = w.open('b');
    await settle();
    a.announce({ busy: true });
    await settle();
    expect(b.role()).toMatchObject({ kind: 'follower', leader: { busy: true } });
    w.stopAll();
  });

  it('when the browser has no Web Locks, then the tab leads alone', async () => {
    const tab = createTabCoordinator({ tabId: 'solo', locks: null, channel: null });
    await settle();
    expect(tab.role().kind).toBe('leader');
    tab.stop();
  });
});

describe('late subscribers', () => {
  it('when a follower subscribes after the snapshot arrived, then it still gets it', async () => {
    const locks = new FakeLocks();
    const hub = new FakeBroadcastHub();
    const a = createTabCoordinator({ tabId: 'a', locks: locks.forTab('a'), channel: hub.forTab('a') });
    await settle();
    a.publishSnapshot(snapshot);
    const b = createTabCoordinator({ tabId: 'b', locks: locks.forTab('b'), channel: hub.forTab('b') });
    await settle();
    const seen: SoftphoneSnapshot[] = [];
    b.onSnapshot((s) => seen.push(s));
    expect(seen).toEqual([snapshot]);
    a.stop();
    b.stop();
  });
});
