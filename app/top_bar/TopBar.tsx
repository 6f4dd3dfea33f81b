/**
 * support.top_bar: the softphone. One tab runs Streams (the leader); every tab shows the same state and
 * can drive it. Click-to-dial (`voice.dialout`), the ticket sidebars' mirrored controls and other tabs'
 * clicks all end up as SoftphoneCommands on the leader.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Paragraph } from '@zendeskgarden/react-typography';
import { useI18n } from '../i18n/I18nProvider';
import { EVENT_COMMAND, EVENT_SIDEBAR, EVENT_SOFTPHONE, parsePresence, sendToSidebars } from '../messaging';
import { useAppEnv } from '../shared/AppRoot';
import { useFirstRenderMark } from '../shared/hooks';
import { ErrorState, LoadingState } from '../shared/states';
import { useClient } from '../zaf';
import { createScreenPopper } from './screenPop';
import { createSoftphone, loadBundledStreams, type Softphone, type SoftphoneEnv } from './softphone/streams';
import { parseCommand, type SoftphoneCommand, type SoftphoneSnapshot } from './softphone/types';
import { SoftphonePanel } from './SoftphonePanel';
import { ConnectAccount } from './ConnectAccount';
import { createTabCoordinator, type Role, type TabCoordinator } from './tabs';

const Page = styled.main`
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.sm};
  padding: ${(p) => p.theme.space.sm};
  min-width: 280px;
`;

const CcpFrame = styled.div<{ $open: boolean }>`
  height: ${(p) => (p.$open ? '480px' : '0')};
  overflow: hidden;
  iframe {
    border: 0;
  }
`;

const browserEnv = (): SoftphoneEnv => ({
  win: window,
  loadStreams: loadBundledStreams,
  now: () => Date.now(),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (h) => window.clearTimeout(h as number),
});

export function TopBar() {
  const { settings, problems } = useAppEnv();
  const { t } = useI18n();
  useFirstRenderMark(!settings.ccpUrl);
  if (!settings.ccpUrl) {
    const invalid = problems.includes('connect_url_invalid');
    return (
      <Page>
        <ConnectAccount />
        <ErrorState title={t('config.connect.title')} testId="config-problem">
          <Paragraph>{t(invalid ? 'config.connect.invalid' : 'config.connect.missing')}</Paragraph>
        </ErrorState>
      </Page>
    );
  }
  return (
    <>
      <ConnectAccount />
      <LiveTopBar
        ccpUrl={settings.ccpUrl}
        {...(settings.connectRegion ? { region: settings.connectRegion } : {})}
      />
    </>
  );
}

/** The tab coordinator lives exactly as long as the mounted component (created in an effect, since it takes a lock). */
function useCoordinator(): [TabCoordinator | null, Role] {
  const [coordinator, setCoordinator] = useState<TabCoordinator | null>(null);
  const [role, setRole] = useState<Role>({ kind: 'electing' });
  useEffect(() => {
    const created = createTabCoordinator();
    setCoordinator(created);
    setRole(created.role());
    const off = created.onRole(setRole);
    return () => {
      off();
      created.stop();
    };
  }, []);
  return [coordinator, role];
}

function LiveTopBar({ ccpUrl, region }: { ccpUrl: string; region?: string }) {
  const client = useClient();
  const { api } = useAppEnv();
  const { t, locale } = useI18n();
  const [coordinator, role] = useCoordinator();
  const [snapshot, setSnapshot] = useState<SoftphoneSnapshot | null>(null);
  const [showCcp, setShowCcp] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const softphone = useRef<Softphone | null>(null);
  const openTickets = useRef(new Map<string, number>());
  const lastIncoming = useRef<string | null>(null);
  const latestSnapshot = useRef<SoftphoneSnapshot | null>(null);
  latestSnapshot.current = snapshot;
  const isLeader = role.kind === 'leader';
  useFirstRenderMark(role.kind !== 'electing');

  // Collapsed, the CCP stays rendered (Streams needs its frame) but out of the tab order.
  useEffect(() => {
    if (container.current) container.current.inert = !showCcp;
  }, [showCcp, isLeader]);

  // The leader runs Streams; stepping down (another tab took over) tears it down.
  useEffect(() => {
    if (!isLeader || !coordinator || !container.current) return;
    const phone = createSoftphone({
      container: container.current,
      ccpUrl,
      ...(region ? { region } : {}),
      env: browserEnv(),
      onSnapshot: setSnapshot,
    });
    softphone.current = phone;
    void phone.start();
    const offCommand = coordinator.onCommand((cmd) => phone.command(cmd));
    return () => {
      offCommand();
      phone.stop();
      softphone.current = null;
      setSnapshot(null);
    };
  }, [isLeader, ccpUrl, region, coordinator]);

  useEffect(
    () => (isLeader || !coordinator ? undefined : coordinator.onSnapshot(setSnapshot)),
    [isLeader, coordinator],
  );

  // Share what this tab shows: with other tabs (leader only) and with this tab's ticket sidebars.
  useEffect(() => {
    if (!snapshot) return;
    if (isLeader && coordinator) {
      coordinator.publishSnapshot(snapshot);
      coordinator.announce({
        busy: Boolean(snapshot.call),
        ...(snapshot.agent ? { agentName: snapshot.agent.name } : {}),
      });
    }
    void sendToSidebars(client, snapshot);
    const call = snapshot.call;
    if (call?.status === 'incoming' && lastIncoming.current !== call.contactId) {
      lastIncoming.current = call.contactId;
      void client.invoke('popover', 'show').catch(() => undefined);
    }
  }, [snapshot, isLeader, coordinator, client]);

  const dispatch = useCallback(
    (cmd: SoftphoneCommand) => {
      if (isLeader) softphone.current?.command(cmd);
      // A sign-in window can only open from a click in the tab that runs Streams.
      else if (cmd.type !== 'open_signin') coordinator?.sendCommand(cmd);
    },
    [isLeader, coordinator],
  );

  // Zendesk events: click-to-dial, mirrored controls and sidebar presence.
  useEffect(() => {
    const offDial = client.on<{ number?: string }>('voice.dialout', (data) => {
      if (!data?.number) return;
      void client.invoke('popover', 'show').catch(() => undefined);
      dispatch({ type: 'dial', number: data.number });
    });
    const offCommand = client.on(EVENT_COMMAND, (data) => {
      const cmd = parseCommand(data);
      if (cmd && cmd.type !== 'open_signin') dispatch(cmd);
    });
    const offSidebar = client.on(EVENT_SIDEBAR, (data) => {
      const presence = parsePresence(data);
      if (!presence) return;
      if (presence.present) openTickets.current.set(presence.instanceGuid, presence.ticketId);
      else openTickets.current.delete(presence.instanceGuid);
      const current = latestSnapshot.current;
      if (presence.present && current)
        client.instance(presence.instanceGuid).trigger(EVENT_SOFTPHONE, current);
    });
    return () => {
      offDial();
      offCommand();
      offSidebar();
    };
  }, [client, dispatch]);

  // Screen pop, from the leader only so two tabs never pop the same ticket.
  const popper = useMemo(
    () =>
      api
        ? createScreenPopper({
            api,
            isTicketOpen: (id) => [...openTickets.current.values()].includes(id),
            openTicket: (id) => client.invoke('routeTo', 'ticket', String(id)),
          })
        : null,
    [api, client],
  );
  useEffect(() => () => popper?.stop(), [popper]);
  const connectedId = snapshot?.call?.status === 'connected' ? snapshot.call.contactId : null;
  useEffect(() => {
    if (isLeader && connectedId && popper) void popper.onConnected(connectedId);
  }, [isLeader, connectedId, popper]);

  const origin = window.location.origin;
  if (role.kind === 'electing')
    return (
      <Page>
        <LoadingState label={t('softphone.electing')} />
      </Page>
    );

  return (
    <Page aria-label={t('softphone.label')}>
      {role.kind === 'follower' ? (
        <ErrorState
          type="info"
          title={t('softphone.elsewhere.title')}
          testId="softphone-elsewhere"
          action={
            <Button size="small" disabled={role.leader?.busy} onClick={() => coordinator?.takeOver()}>
              {t('softphone.action.take_over')}
            </Button>
          }
        >
          <Paragraph>
            {role.leader?.agentName
              ? t('softphone.elsewhere.body_named', {
                  name: role.leader.agentName,
                  time: new Date(role.leader.since).toLocaleTimeString(locale, {
                    hour: '2-digit',
                    minute: '2-digit',
                  }),
                })
              : t('softphone.elsewhere.body')}
          </Paragraph>
          {role.leader?.busy ? <Paragraph>{t('softphone.elsewhere.busy')}</Paragraph> : null}
        </ErrorState>
      ) : null}

      <SoftphonePanel snapshot={snapshot} onCommand={dispatch} origin={origin} />

      {isLeader ? (
        <>
          <Button isBasic size="small" aria-expanded={showCcp} onClick={() => setShowCcp((s) => !s)}>
            {t(showCcp ? 'softphone.ccp.hide' : 'softphone.ccp.show')}
          </Button>
          <CcpFrame ref={container} $open={showCcp} data-testid="ccp-container" />
        </>
      ) : null}
    </Page>
  );
}
