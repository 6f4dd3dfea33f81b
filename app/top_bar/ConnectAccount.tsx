/**
 * The first time an admin opens the app and the service knows no tenant for this account (or an uninstall
 * or a revoked token suspended it), offer to connect it: Zendesk's OAuth page opens in a new window, the
 * service creates the tenant and shows the shared secret and Amazon Connect steps there, once.
 * Renders nothing when the account is connected or the service cannot say.
 */
import { useCallback, useEffect, useState } from 'react';
import { Button } from '@zendeskgarden/react-buttons';
import { Paragraph } from '@zendeskgarden/react-typography';
import { useI18n } from '../i18n/I18nProvider';
import { useAppEnv } from '../shared/AppRoot';
import { fetchInstallStatus, type InstallStatus } from '../shared/install';
import { ErrorState } from '../shared/states';

export function ConnectAccount() {
  const { settings, context, user } = useAppEnv();
  const { t, locale } = useI18n();
  const [state, setState] = useState<InstallStatus | null>(null);
  const [attempt, setAttempt] = useState(0);
  const subdomain = context.account?.subdomain;
  const base = settings.serviceUrl;

  useEffect(() => {
    if (!base || !subdomain) return;
    let live = true;
    void fetchInstallStatus(base, subdomain).then((v) => live && setState(v));
    return () => {
      live = false;
    };
  }, [base, subdomain, attempt]);

  const connect = useCallback(() => {
    if (!base || !subdomain) return;
    window.open(`${base}/v1/install/start?subdomain=${encodeURIComponent(subdomain)}`, '_blank', 'noopener');
  }, [base, subdomain]);

  if (!state || state.status === 'active' || !state.install) return null;
  const admin = user.role === 'admin';
  const suspended = state.status === 'suspended';
  const date = state.purgeAfter ? new Date(state.purgeAfter).toLocaleDateString(locale) : '';
  return (
    <ErrorState
      type={suspended ? 'warning' : 'info'}
      testId="connect-account"
      title={t(suspended ? 'config.account.suspended_title' : 'config.account.title')}
      action={
        admin ? (
          <>
            <Button size="small" isPrimary onClick={connect}>
              {t('config.account.action')}
            </Button>
            <Button size="small" onClick={() => setAttempt((a) => a + 1)}>
              {t('config.account.check')}
            </Button>
          </>
        ) : undefined
      }
    >
      {suspended ? <Paragraph>{t('config.account.suspended_body', { date })}</Paragraph> : null}
      <Paragraph>{t(admin ? 'config.account.body' : 'config.account.agent_body')}</Paragraph>
    </ErrorState>
  );
}
