/**
 * The "Account" view of the nav_bar app: whether this Zendesk account is connected to the Concierge
 * service, and, for admins, the way to disconnect it (POST /v1/app/install/disconnect, signed; the
 * service confirms the admin role with Zendesk). Disconnecting stops the work at once and keeps the
 * data for the grace period the service answers with; connecting again before then restores it.
 * When the account is not connected (or was disconnected), the top bar's connect card shows here too.
 */
import { useCallback, useEffect, useState } from 'react';
import { Button } from '@zendeskgarden/react-buttons';
import { LG, Paragraph } from '@zendeskgarden/react-typography';
import { ServiceError } from '../../api';
import { useI18n } from '../../i18n/I18nProvider';
import { useAppEnv } from '../../shared/AppRoot';
import { useFirstRenderMark } from '../../shared/hooks';
import { fetchInstallStatus, type InstallStatus } from '../../shared/install';
import { ErrorState, LoadingState } from '../../shared/states';
import { ConnectAccount } from '../../top_bar/ConnectAccount';

type Step = { kind: 'idle' } | { kind: 'confirm' } | { kind: 'sending' } | { kind: 'failed'; error: unknown };

/** The service's answer to a disconnect: `{ status: 'suspended', purgeAfter }`. */
export function parseDisconnect(v: unknown): InstallStatus | null {
  const o = v as Record<string, unknown> | null;
  if (!o || o.status !== 'suspended') return null;
  return {
    status: 'suspended',
    install: true,
    ...(typeof o.purgeAfter === 'string' ? { purgeAfter: o.purgeAfter } : {}),
  };
}

export function AccountView() {
  const { settings, context, user, api } = useAppEnv();
  const { t } = useI18n();
  const [status, setStatus] = useState<InstallStatus | null | undefined>(undefined);
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const base = settings.serviceUrl;
  const subdomain = context.account?.subdomain;
  useFirstRenderMark(status !== undefined);

  useEffect(() => {
    let live = true;
    void fetchInstallStatus(base, subdomain).then((s) => live && setStatus(s));
    return () => {
      live = false;
    };
  }, [base, subdomain]);

  const disconnect = useCallback(async () => {
    setStep({ kind: 'sending' });
    try {
      if (!api) throw new ServiceError(0, 'no_service', 'no service URL in the app settings');
      const answer = parseDisconnect(await api.call<unknown>('POST', '/v1/app/install/disconnect', {}));
      if (!answer) throw new ServiceError(502, 'bad_response', 'unexpected answer to disconnect');
      setStatus(answer);
      setStep({ kind: 'idle' });
    } catch (error) {
      setStep({ kind: 'failed', error });
    }
  }, [api]);

  if (status === undefined) return <LoadingState label={t('common.loading')} />;
  // Not connected, disconnected, or the service cannot say: the connect card decides what to show.
  if (status?.status !== 'active')
    return (
      <section data-testid="account-view">
        {status === null ? (
          <ErrorState type="warning" title={t('account.unknown.title')} testId="account-unknown">
            <Paragraph>{t('account.unknown.body')}</Paragraph>
          </ErrorState>
        ) : null}
        <ConnectAccount />
      </section>
    );

  const admin = user.role === 'admin';
  return (
    <section data-testid="account-view">
      <LG tag="h2">{t('account.connected.title')}</LG>
      <Paragraph>{t('account.connected.body')}</Paragraph>
      {!admin ? (
        <ErrorState type="info" title={t('account.admin_only.title')} testId="account-admin-only">
          <Paragraph>{t('account.admin_only.body')}</Paragraph>
        </ErrorState>
      ) : step.kind === 'idle' ? (
        <Button isDanger onClick={() => setStep({ kind: 'confirm' })} data-testid="account-disconnect">
          {t('account.disconnect.action')}
        </Button>
      ) : (
        <ErrorState
          type={step.kind === 'failed' ? 'error' : 'warning'}
          testId="account-confirm"
          title={t(step.kind === 'failed' ? failureTitle(step.error) : 'account.disconnect.confirm_title')}
          action={
            <>
              <Button
                size="small"
                isDanger
                isPrimary
                disabled={step.kind === 'sending'}
                onClick={() => void disconnect()}
                data-testid="account-disconnect-confirm"
              >
                {t(step.kind === 'failed' ? 'common.retry' : 'account.disconnect.confirm_action')}
              </Button>
              <Button
                size="small"
                disabled={step.kind === 'sending'}
                onClick={() => setStep({ kind: 'idle' })}
              >
                {t('account.disconnect.cancel')}
              </Button>
            </>
          }
        >
          <Paragraph>
            {t(step.kind === 'failed' ? 'account.disconnect.failed_body' : 'account.disconnect.confirm_body')}
          </Paragraph>
        </ErrorState>
      )}
    </section>
  );
}

function failureTitle(error: unknown) {
  return error instanceof ServiceError && error.status === 403
    ? ('account.admin_only.title' as const)
    : ('account.disconnect.failed_title' as const);
}
